/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_serial: internal interfaces shared by the files of the driver.
 *
 * Lifetime in one paragraph: a struct vser_device lives from probe until
 * its last port is freed; a struct vser_port lives until the device has
 * removed it and the last open file has been released (kref).  Once a port
 * is "unplugged" (port removal, device removal, module unload) it never
 * touches a virtqueue again: every path that does checks @unplugged under
 * the lock that protects the queue it wants.
 */
#ifndef VIRTIO_SERIAL_VSER_H
#define VIRTIO_SERIAL_VSER_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/virtio_console.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* Receive buffers per port: bounded memory, 128 pages (upstream fills
 * the whole queue, also 128 with QEMU).
 */
#define VSER_RX_BUFS		128
/*
 * Receive buffers one interrupt or poll takes off a queue at most (twice
 * what a port has: a device that completes each buffer again as soon as
 * it is given back cannot keep an interrupt handler busy for ever).
 */
#define VSER_RX_BUDGET		(2 * VSER_RX_BUFS)
/* A long read gives buffers back to the device every so many. */
#define VSER_RX_KICK_BATCH	16
#define VSER_RX_BUF_SIZE	PAGE_SIZE
/*
 * A blocking read that follows a write may poll for the answer before it
 * sleeps (vser_rx_busy_poll()): each port's window starts at the first
 * value, adapts to how soon answers come, and stays under a limit, the
 * module parameter read_poll_us (default, and largest allowed, below).
 */
#define VSER_READ_POLL_START_NS	(20 * NSEC_PER_USEC)
#define VSER_READ_POLL_US	200
#define VSER_READ_POLL_MAX_US	1000
/*
 * Control receive buffers, at most; one page holds any valid PORT_NAME.
 * QEMU drops a control message when it finds no buffer, and announces
 * every port at once: fill the whole queue (QEMU's has 32 entries).
 */
#define VSER_CTRL_RX_BUFS	64
#define VSER_CTRL_BUF_SIZE	PAGE_SIZE
/*
 * Transmit slots per open port, each VSER_TX_SLOT_PAGES pages, physically
 * contiguous when memory allows: QEMU hands each piece of a buffer to the
 * chardev as one write, so one 64 KiB piece costs the host one write
 * where sixteen pages cost sixteen.
 */
#define VSER_TX_SLOTS		16
#define VSER_TX_SLOT_ORDER	4
#define VSER_TX_SLOT_PAGES	BIT(VSER_TX_SLOT_ORDER)
#define VSER_TX_SLOT_SIZE	(VSER_TX_SLOT_PAGES * PAGE_SIZE)
/* Control messages handled per run of the control work (flood bound). */
#define VSER_CTRL_BUDGET	64
/* Longest port name accepted (bytes, without the NUL). */
#define VSER_NAME_MAX		255
/* host_connected uevents of a port are merged over this long. */
#define VSER_UEVENT_DELAY	(HZ / 10)
/* Highest max_nr_ports honoured: QEMU allows 511; the spec has no bound. */
#define VSER_MAX_PORTS		511
/* Largest console size accepted from the device (columns or rows). */
#define VSER_CON_MAX_DIM	4096

/*
 * Add to a statistics counter.  Writers of one counter hold the lock its
 * comment names; debugfs reads without it, and an atomic64_t cannot be
 * seen half-written even where a u64 can (32-bit).
 */
static inline void vser_stat_add(atomic64_t *counter, u64 n)
{
	atomic64_add(n, counter);
}

/* struct class is const from 6.4 on (detected by Kbuild). */
#ifdef VSER_CONST_CLASS
#define vser_class_const const
#else
#define vser_class_const
#endif

extern vser_class_const struct class vser_class;

/**
 * struct vser_buf - one receive buffer (a page) of a port or control queue.
 * @list: entry in the port's @rx_ready list once the device filled it
 * @data: the page, mapped
 * @len:  bytes the device wrote (validated against %VSER_RX_BUF_SIZE)
 * @off:  bytes already consumed by readers
 */
struct vser_buf {
	struct list_head list;
	void *data;
	size_t len;
	size_t off;
};

/**
 * struct vser_txslot - one transmit buffer of an open port.
 * @pages:  its pages; the slot is handed to the device as one buffer
 * @contig: @pages[0] is one block of %VSER_TX_SLOT_PAGES pages (order
 *          %VSER_TX_SLOT_ORDER), the other entries are NULL; else the
 *          slot is made of single pages
 * @busy:   owned by the device until it returns the slot
 */
struct vser_txslot {
	struct page *pages[VSER_TX_SLOT_PAGES];
	bool contig;
	bool busy;
};

/**
 * struct vser_ctrl_msg - a control message after validation.
 * @id:       port id
 * @event:    VIRTIO_CONSOLE_* event
 * @value:    the event's value
 * @name:     PORT_NAME: the name, not NUL-terminated (points into the
 *            buffer that was parsed)
 * @name_len: PORT_NAME: length of @name
 * @cols:     RESIZE: columns
 * @rows:     RESIZE: rows
 */
struct vser_ctrl_msg {
	u32 id;
	u16 event;
	u16 value;
	const char *name;
	size_t name_len;
	u16 cols;
	u16 rows;
};

/**
 * struct vser_ctrl_item - a checked control message waiting to be handled.
 * @msg:  the message; a name points to @name
 * @name: a copy of the name of a PORT_NAME (not NUL-terminated)
 */
struct vser_ctrl_item {
	struct vser_ctrl_msg msg;
	char name[VSER_NAME_MAX];
};

/**
 * struct vser_parked - buffers of a removed port that the device may
 * still use: its queues are not reset until the device is.
 * @rx: receive buffers still on the port's receive queue
 * @tx: transmit slots, some perhaps still on its transmit queue
 */
struct vser_parked {
	struct vser_buf *rx[VSER_RX_BUFS];
	struct vser_txslot *tx;
};

/**
 * struct vser_port_stats - a port's counters, shown in debugfs.
 * @bytes_in:        bytes received and queued for readers (rx_lock)
 * @bufs_in:         buffers received and queued for readers (rx_lock)
 * @bytes_discarded: bytes dropped: arrived while no guest process had the
 *                   port open, or left unread at open or close (rx_lock)
 * @bufs_discarded:  buffers dropped likewise (rx_lock)
 * @truncated:       buffers whose used length exceeded the buffer and
 *                   was clamped (rx_lock)
 * @bytes_out:       bytes handed to the device, console output included
 *                   (tx_lock)
 * @bufs_out:        buffers handed to the device (tx_lock)
 * @queue_full:      times a writer or poller found every transmit slot
 *                   in flight (tx_lock)
 * @console_dropped: console output (hvc put_chars calls) that found no
 *                   room and was dropped or retried later (tx_lock)
 * @console_emerg:   console bytes written to the emerg_wr config field
 *                   instead of the queue (any context)
 * @sigio:           SIGIOs sent to the opener (any context)
 * @read_polls:      blocking reads that polled for data (read_mutex)
 * @read_poll_hits:  of those, the ones that found data without sleeping
 *                   (read_mutex)
 */
struct vser_port_stats {
	atomic64_t bytes_in;
	atomic64_t bufs_in;
	atomic64_t bytes_discarded;
	atomic64_t bufs_discarded;
	atomic64_t truncated;
	atomic64_t bytes_out;
	atomic64_t bufs_out;
	atomic64_t queue_full;
	atomic64_t console_dropped;
	atomic64_t console_emerg;
	atomic64_t sigio;
	atomic64_t read_polls;
	atomic64_t read_poll_hits;
};

/**
 * struct vser_ctrl_stats - a device's control queue counters.
 * @received: control messages taken from the device (ctrl_mutex)
 * @rejected: of those, dropped as malformed or wrong for the port's
 *            state (ctrl_mutex)
 * @sent:     control messages handed to the device (ctrl_lock)
 * @failed:   control messages not sent: no memory, or no room within
 *            the send timeout (atomic)
 */
struct vser_ctrl_stats {
	atomic64_t received;
	atomic64_t rejected;
	atomic64_t sent;
	atomic64_t failed;
};

/**
 * struct vser_device - one virtio-serial device (a controller).
 * @vdev:          the virtio device; its struct device is pinned
 *                 (get_device()) for the life of this structure, but its
 *                 queues are not used once @removed is set
 * @little_endian: the device's byte order, cached at probe so that
 *                 senders need not look at @vdev's features
 * @kref:          held by the device itself and by each of its ports
 * @multiport:     VIRTIO_CONSOLE_F_MULTIPORT was negotiated
 * @max_ports:     ports the device may announce (1 without multiport)
 * @nvqs:          number of virtqueues, @vqs their array
 * @vqs:           port 0 rx/tx, control rx/tx, then rx/tx per further port
 * @ports_lock:    protects @ports (looked up from interrupt context)
 * @ports:         port by id, @max_ports entries
 * @ctrl_lock:     protects the control transmit queue, @ctrl_room and
 *                 @removed
 * @ctrl_wait:     senders waiting for @ctrl_room or @removed
 * @ctrl_room:     the control transmit queue may have room: cleared when
 *                 a message did not fit, set when the device returns one
 * @ctrl_work:     handles control messages from the device
 * @ctrl_mutex:    serialises control message handling with remove/freeze
 * @removed:       device removed or frozen: no virtqueue may be touched
 * @chr_base:      first dev_t of the ports' minors (@max_ports of them)
 * @ctrl_bufs:     the control receive buffers, for freeing (under
 *                 @ctrl_mutex, or with the device reset)
 * @ctrl_items:    checked messages not handled yet, %VSER_CTRL_BUDGET of
 *                 them, a ring from @ctrl_head, @ctrl_count long
 *                 (@ctrl_mutex; emptied at remove and freeze)
 * @parked:        per port id, the buffers of a port removed by
 *                 PORT_REMOVE, kept until the device is reset or the id
 *                 is added again (@ctrl_mutex)
 * @ctrl_head:     first message of @ctrl_items
 * @ctrl_count:    messages in @ctrl_items
 * @stats:         control queue counters
 * @debugfs:       the device's debugfs folder, or NULL or an error
 * @emerg_forced:  console output skips the queues and goes to emerg_wr,
 *                 as it does during a panic when a queue takes nothing;
 *                 set through debugfs, for testing (read locklessly)
 */
struct vser_device {
	struct virtio_device *vdev;
	bool little_endian;
	struct kref kref;
	bool multiport;
	u32 max_ports;
	unsigned int nvqs;
	struct virtqueue **vqs;
	spinlock_t ports_lock;		/* protects @ports */
	struct vser_port **ports;
	spinlock_t ctrl_lock;		/* control tx queue, @removed */
	wait_queue_head_t ctrl_wait;
	bool ctrl_room;
	struct work_struct ctrl_work;
	struct mutex ctrl_mutex;	/* control handling vs remove */
	bool removed;
	dev_t chr_base;
	struct vser_buf *ctrl_bufs[VSER_CTRL_RX_BUFS];
	struct vser_ctrl_item *ctrl_items;
	struct vser_parked **parked;
	unsigned int ctrl_head;
	unsigned int ctrl_count;
	struct vser_ctrl_stats stats;
	struct dentry *debugfs;
	bool emerg_forced;
};

/**
 * struct vser_port - one port: a character device and its queues.
 * @vsdev:           its device (holds a reference)
 * @kref:            held by @vsdev's table and by each open file
 * @id:              port number on the device
 * @in_vq:           receive queue, NULL once unplugged or frozen (@rx_lock;
 *                   cleared with @read_mutex held too, so a reader may
 *                   use it without @rx_lock)
 * @out_vq:          transmit queue, NULL once unplugged or frozen (@tx_lock)
 * @cdev:            the character device (dynamically allocated)
 * @dev:             the class device vport<dev>p<id>
 * @name:            name from PORT_NAME, NULL until then (@lock)
 * @lock:            protects @name, @guest_connected, @host_connected,
 *                   @unplugged and @console (spinlock, any context)
 * @open_mutex:      held by open() and release() across the change of
 *                   @guest_connected and the PORT_OPEN that reports it,
 *                   so the host sees them in the same order; and by
 *                   vser_port_make_console(), so that a port is never
 *                   both open and a console
 * @guest_connected: opened by a guest process (one opener at a time)
 * @host_connected:  host side open (PORT_OPEN from the device)
 * @unplugged:       removed from the device; every operation fails
 * @console:         a console port: its char device cannot be opened; it
 *                   is /dev/hvcN when @hvc is set (see hvc.c)
 * @hvc:             its hvc console, or NULL (set and cleared under the
 *                   device's ctrl_mutex; set with smp_store_release() once
 *                   complete, read elsewhere with smp_load_acquire(), or
 *                   READ_ONCE() where only NULL is tested)
 * @announced:       PORT_READY sent since the last reset; read and
 *                   written only under the device's ctrl_mutex (control
 *                   work, port add, freeze)
 * @rx_lock:         protects @in_vq and @rx_ready
 * @rx_ready:        filled receive buffers, oldest first
 * @rx_bufs:         every receive buffer of the port (device ctrl_mutex)
 * @read_mutex:      serialises readers (held while copying to user)
 * @read_poll_ns:    how long a blocking read that follows a write polls
 *                   before it sleeps, adapted to the port's answers
 *                   (@read_mutex; writers read it as a hint)
 * @read_blocks:     the last read was a blocking one, so the next may
 *                   poll (@read_mutex; writers read it as a hint)
 * @rx_work:         carries on collecting when an interrupt or poll ran
 *                   out of budget (%VSER_RX_BUDGET)
 * @tx_lock:         protects @out_vq, @tx, @tx_nslots, @tx_pages, @tx_full,
 *                   @tx_waiting
 * @tx:              transmit slots: a data port's from open to close (or
 *                   until the device returns them), a console's while it
 *                   is an hvc terminal
 * @tx_nslots:       slots in use: at most the transmit queue's size
 * @tx_pages:        pages per slot: at most the transmit queue's size,
 *                   so that a slot fits without indirect descriptors
 * @tx_full:         a writer found no free slot: SIGIO POLL_OUT when one
 *                   frees
 * @tx_waiting:      a writer or poller turned the transmit interrupt on
 *                   to hear of room: the interrupt wakes @tx_waitq
 * @tx_after_rx:     no write since the open or since a read returned
 *                   data (set by open and readers, cleared by writers;
 *                   a hint, no lock): a
 *                   write that follows a read, or a read that follows a
 *                   write, is likely part of an exchange
 * @write_mutex:     serialises writers (held while copying from user)
 * @host_uevent:     sends the KOBJ_CHANGE for @host_connected, at most
 *                   one per %VSER_UEVENT_DELAY: a host flooding PORT_OPEN
 *                   toggles gets its changes merged
 * @rx_waitq:        readers, and pollers
 * @tx_waitq:        writers, and pollers
 * @async:           fasync list for SIGIO; changed by fasync_helper() and
 *                   read by kill_fasync(), which do their own locking
 * @stats:           counters for debugfs
 * @debugfs:         the port's debugfs file, or NULL or an error
 */
struct vser_port {
	struct vser_device *vsdev;
	struct kref kref;
	u32 id;
	struct virtqueue *in_vq;
	struct virtqueue *out_vq;
	struct cdev *cdev;
	struct device *dev;

	struct mutex open_mutex;	/* open/release and their PORT_OPEN */
	spinlock_t lock;		/* the state flags below */
	char *name;
	bool guest_connected;
	bool host_connected;
	bool unplugged;
	bool console;
	bool announced;
	struct vser_hvc *hvc;

	spinlock_t rx_lock;		/* @in_vq, @rx_ready */
	struct list_head rx_ready;
	struct vser_buf *rx_bufs[VSER_RX_BUFS];
	struct mutex read_mutex;	/* one reader at a time */
	u32 read_poll_ns;
	bool read_blocks;
	struct work_struct rx_work;

	spinlock_t tx_lock;		/* @out_vq, @tx and @tx_* */
	struct vser_txslot *tx;
	unsigned int tx_nslots;
	unsigned int tx_pages;
	bool tx_full;
	bool tx_waiting;
	bool tx_after_rx;
	struct mutex write_mutex;	/* one writer at a time */

	struct delayed_work host_uevent;
	wait_queue_head_t rx_waitq;
	wait_queue_head_t tx_waitq;
	struct fasync_struct *async;
	struct vser_port_stats stats;
	struct dentry *debugfs;
};

/**
 * enum vser_ctrl_action - what a control message asks the driver to do.
 * @VSER_CTRL_IGNORE:     drop it (malformed, or wrong for the port's state)
 * @VSER_CTRL_ADD:        create the port
 * @VSER_CTRL_REANNOUNCE: PORT_ADD of a port kept across a reset: send
 *                        PORT_READY, and PORT_OPEN if it is open
 * @VSER_CTRL_REMOVE:     unplug the port
 * @VSER_CTRL_CONSOLE:    the port is a console
 * @VSER_CTRL_RESIZE:     a console's size changed
 * @VSER_CTRL_OPEN:       the host opened or closed its end
 * @VSER_CTRL_NAME:       the port's name
 */
enum vser_ctrl_action {
	VSER_CTRL_IGNORE,
	VSER_CTRL_ADD,
	VSER_CTRL_REANNOUNCE,
	VSER_CTRL_REMOVE,
	VSER_CTRL_CONSOLE,
	VSER_CTRL_RESIZE,
	VSER_CTRL_OPEN,
	VSER_CTRL_NAME,
};

/* control.c */
enum vser_ctrl_action vser_ctrl_decide(const struct vser_ctrl_msg *msg,
				       u32 max_ports, bool exists,
				       bool announced, const char **why);
int vser_ctrl_parse(const void *buf, size_t len, bool little_endian,
		    struct vser_ctrl_msg *msg, const char **why);
int vser_ctrl_check_id(const struct vser_ctrl_msg *msg, u32 max_ports,
		       bool exists, const char **why);
int vser_name_check(const char *name, size_t len, const char **why);
int vser_resize_check(u16 cols, u16 rows, const char **why);
void vser_ctrl_work(struct work_struct *work);
int vser_ctrl_send(struct vser_device *vsdev, u32 id, u16 event, u16 value);
void vser_ctrl_ack(struct virtqueue *vq);
void vser_ctrl_intr(struct virtqueue *vq);

/* port.c */
int vser_port_add(struct vser_device *vsdev, u32 id, bool console);
void vser_port_unplug(struct vser_port *port, bool reset);
void vser_parked_free(struct vser_device *vsdev);
void vser_port_put(struct vser_port *port);
struct vser_port *vser_port_get_by_devt(dev_t devt);
struct vser_port *vser_port_lookup(struct vser_device *vsdev, u32 id);
void vser_port_set_name(struct vser_port *port, const char *name,
			size_t len);
void vser_port_set_host(struct vser_port *port, bool connected);
void vser_device_put(struct vser_device *vsdev);
int vser_port_make_console(struct vser_port *port);
#if IS_ENABLED(CONFIG_KUNIT)
struct vser_txslot *vser_tx_room(struct vser_port *port);
#endif
extern const struct attribute_group *vser_port_groups[];

/* The port's state changed (host connection, unplug): wake everyone. */
static inline void vser_port_wake_all(struct vser_port *port)
{
	wake_up_interruptible(&port->rx_waitq);
	wake_up_interruptible(&port->tx_waitq);
}

/* fops.c */
extern const struct file_operations vser_fops;
void vser_port_notify(struct vser_port *port, int band);

/* stats.c */
void vser_debugfs_init(void);
void vser_debugfs_exit(void);
void vser_debugfs_dev_add(struct vser_device *vsdev);
void vser_debugfs_dev_remove(struct vser_device *vsdev);
void vser_port_added(struct vser_port *port);
void vser_port_removed(struct vser_port *port);

/* vqs.c */
struct vser_buf *vser_buf_alloc(gfp_t gfp);
void vser_buf_free(struct vser_buf *buf);
int vser_buf_add_in(struct virtqueue *vq, struct vser_buf *buf);
int vser_rx_fill(struct vser_port *port);
void vser_rx_drain(struct vser_port *port);
void vser_rx_discard(struct vser_port *port);
bool vser_rx_poll(struct vser_port *port, bool *got);
bool vser_rx_busy_poll(struct vser_port *port, u64 ns);
void vser_rx_work(struct work_struct *work);
void vser_rx_stop(struct vser_port *port);
int vser_tx_alloc(struct vser_port *port, bool small);
void vser_tx_release(struct vser_port *port);
void vser_tx_free(struct vser_port *port);
void vser_tx_slots_free(struct vser_txslot *tx);
void vser_tx_set_queue(struct vser_port *port, struct virtqueue *vq);
bool vser_tx_reclaim(struct vser_port *port);
void vser_rx_intr(struct virtqueue *vq);
void vser_tx_intr(struct virtqueue *vq);
int vser_find_vqs(struct vser_device *vsdev);
int vser_ctrl_fill(struct vser_device *vsdev);
void vser_ctrl_free(struct vser_device *vsdev);
u32 vser_vq_port_id(struct virtqueue *vq);

/* hvc.c, built when the kernel has CONFIG_HVC_DRIVER (see Kbuild) */
struct vser_hvc;
#ifdef VSER_HAVE_HVC
int vser_hvc_add(struct vser_port *port);
void vser_hvc_del(struct vser_port *port);
void vser_hvc_resize(struct vser_port *port, u16 cols, u16 rows);
void vser_hvc_config_changed(struct vser_device *vsdev);
void vser_hvc_kick(void);
void vser_hvc_tx_done(struct vser_port *port);
void vser_hvc_tx_reset(struct vser_port *port);
#else
static inline int vser_hvc_add(struct vser_port *port)
{
	return -EOPNOTSUPP;
}

static inline void vser_hvc_del(struct vser_port *port)
{
}

static inline void vser_hvc_resize(struct vser_port *port, u16 cols,
				   u16 rows)
{
}

static inline void vser_hvc_config_changed(struct vser_device *vsdev)
{
}

static inline void vser_hvc_kick(void)
{
}

static inline void vser_hvc_tx_done(struct vser_port *port)
{
}

static inline void vser_hvc_tx_reset(struct vser_port *port)
{
}
#endif

#endif /* VIRTIO_SERIAL_VSER_H */
