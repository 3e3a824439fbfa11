/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_serial tracepoints: a port is added or removed, a guest process
 * opens or closes it, the host connects or disconnects its end.  Each
 * event names the port as its character device does: vport<dev>p<id>.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM virtio_serial

#if !defined(_VIRTIO_SERIAL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VIRTIO_SERIAL_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(vser_port_event,
		    TP_PROTO(unsigned int dev, u32 id),
		    TP_ARGS(dev, id),
		    TP_STRUCT__entry(__field(unsigned int, dev)
				     __field(u32, id)
		    ),
		    TP_fast_assign(__entry->dev = dev;
				   __entry->id = id;
		    ),
		    TP_printk("port=vport%up%u", __entry->dev, __entry->id)
);

DEFINE_EVENT(vser_port_event, vser_port_add,
	     TP_PROTO(unsigned int dev, u32 id),
	     TP_ARGS(dev, id)
);

DEFINE_EVENT(vser_port_event, vser_port_remove,
	     TP_PROTO(unsigned int dev, u32 id),
	     TP_ARGS(dev, id)
);

DEFINE_EVENT(vser_port_event, vser_port_open,
	     TP_PROTO(unsigned int dev, u32 id),
	     TP_ARGS(dev, id)
);

DEFINE_EVENT(vser_port_event, vser_port_close,
	     TP_PROTO(unsigned int dev, u32 id),
	     TP_ARGS(dev, id)
);

DEFINE_EVENT(vser_port_event, vser_host_connect,
	     TP_PROTO(unsigned int dev, u32 id),
	     TP_ARGS(dev, id)
);

DEFINE_EVENT(vser_port_event, vser_host_disconnect,
	     TP_PROTO(unsigned int dev, u32 id),
	     TP_ARGS(dev, id)
);

#endif /* _VIRTIO_SERIAL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
