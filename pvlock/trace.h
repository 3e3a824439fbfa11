/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvlock tracepoints: a waiter enters the halting slow path, an unlocker
 * kicks, a halted waiter wakes.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pvlock

#if !defined(_PVLOCK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PVLOCK_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(pvlock_slowpath,
	    TP_PROTO(const void *lock, u16 want, int depth),
	    TP_ARGS(lock, want, depth),
	    TP_STRUCT__entry(__field(const void *, lock)
			     __field(u16, want)
			     __field(int, depth)
	    ),
	    TP_fast_assign(__entry->lock = lock;
			   __entry->want = want;
			   __entry->depth = depth;
	    ),
	    TP_printk("lock=%p want=%u depth=%d", __entry->lock, __entry->want,
		      __entry->depth)
);

TRACE_EVENT(pvlock_kick,
	    TP_PROTO(const void *lock, u16 next, int cpu),
	    TP_ARGS(lock, next, cpu),
	    TP_STRUCT__entry(__field(const void *, lock)
			     __field(u16, next)
			     __field(int, cpu)
	    ),
	    TP_fast_assign(__entry->lock = lock;
			   __entry->next = next;
			   __entry->cpu = cpu;
	    ),
	    TP_printk("lock=%p next=%u cpu=%d", __entry->lock, __entry->next,
		      __entry->cpu)
);

TRACE_EVENT(pvlock_wake,
	    TP_PROTO(const void *lock, u16 want, bool kicked, u64 halted_ns),
	    TP_ARGS(lock, want, kicked, halted_ns),
	    TP_STRUCT__entry(__field(const void *, lock)
			     __field(u16, want)
			     __field(bool, kicked)
			     __field(u64, halted_ns)
	    ),
	    TP_fast_assign(__entry->lock = lock;
			   __entry->want = want;
			   __entry->kicked = kicked;
			   __entry->halted_ns = halted_ns;
	    ),
	    TP_printk("lock=%p want=%u kicked=%d halted_ns=%llu", __entry->lock,
		      __entry->want, __entry->kicked, __entry->halted_ns)
);

#endif /* _PVLOCK_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
