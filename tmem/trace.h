/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tmem tracepoints: put, get, flush (page, object or pool) and eviction.
 * The object id is printed as its six 32-bit words.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tmem

#if !defined(_TMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TMEM_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(tmem_op,
		    TP_PROTO(int pool, const struct tmem_oid *oid,
			     pgoff_t index, int ret),
		    TP_ARGS(pool, oid, index, ret),
		    TP_STRUCT__entry(__field(int, pool)
				     __array(u32, key, TMEM_OID_WORDS)
				     __field(pgoff_t, index)
				     __field(int, ret)
		    ),
		    TP_fast_assign(__entry->pool = pool;
				   memcpy(__entry->key, oid->key,
					  sizeof(__entry->key));
				   __entry->index = index;
				   __entry->ret = ret;
		    ),
		    TP_printk("pool=%d oid=%08x:%08x:%08x:%08x:%08x:%08x index=%lu ret=%d",
			      __entry->pool, __entry->key[0], __entry->key[1],
			      __entry->key[2], __entry->key[3],
			      __entry->key[4], __entry->key[5],
			      __entry->index, __entry->ret)
);

/* ret: 0 stored, else the negative errno of the rejection. */
DEFINE_EVENT(tmem_op, tmem_put,
	     TP_PROTO(int pool, const struct tmem_oid *oid, pgoff_t index,
		      int ret),
	     TP_ARGS(pool, oid, index, ret)
);

/* ret: 0 hit, -ENOENT miss, -EIO corrupt copy. */
DEFINE_EVENT(tmem_op, tmem_get,
	     TP_PROTO(int pool, const struct tmem_oid *oid, pgoff_t index,
		      int ret),
	     TP_ARGS(pool, oid, index, ret)
);

/* ret: TMEM_FLUSH_PAGE, TMEM_FLUSH_OBJECT or TMEM_FLUSH_POOL. */
DEFINE_EVENT(tmem_op, tmem_flush,
	     TP_PROTO(int pool, const struct tmem_oid *oid, pgoff_t index,
		      int ret),
	     TP_ARGS(pool, oid, index, ret)
);

/* ret: enum tmem_evict_reason. */
DEFINE_EVENT(tmem_op, tmem_evict,
	     TP_PROTO(int pool, const struct tmem_oid *oid, pgoff_t index,
		      int ret),
	     TP_ARGS(pool, oid, index, ret)
);

#endif /* _TMEM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
