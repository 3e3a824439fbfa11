// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial: console ports as hvc terminals (/dev/hvcN).
 *
 * A console port (CONSOLE_PORT from a multiport device, or the only port
 * of a device without multiport) is handed to the hvc layer with
 * hvc_alloc(), which also registers it as the kernel console when the
 * command line names its index (console=hvcN).  Its char device
 * vport<dev>p<port> stays and cannot be opened, as upstream.
 *
 * hvc calls our get_chars/put_chars in any context: from khvcd, from a
 * tty write with its spinlock held, from printk with interrupts off, and
 * during a panic on a CPU that stopped the others.  So:
 *
 * - the callbacks find their console under RCU, with no lock, and take
 *   only the port's own rx_lock or tx_lock, with a trylock retried for a
 *   bounded time (vser_hvc_lock_wait()): a printk issued while one of
 *   them is held on this CPU, or a lock held by a CPU stopped by a
 *   panic, costs dropped output or a later read, never a hang;
 * - get_chars never wakes anyone: it copies until its buffer is full or
 *   nothing is left, turning the receive interrupt back on in the
 *   latter case, and returns -EAGAIN when rx_lock stays taken, so that
 *   hvc polls again on its timer (0 would mean no input, and khvcd
 *   would sleep until the next receive interrupt, which stays off
 *   while data waits);
 * - put_chars never waits for a free slot for more than
 *   %VSER_HVC_TX_WAIT_US, and not at all again until the host has
 *   consumed a buffer: output the host does not take is dropped and
 *   counted (upstream spins until the host takes it);
 * - during a panic (oops_in_progress), output that cannot go through the
 *   queue is written byte by byte to the emerg_wr config field when the
 *   device offers VIRTIO_CONSOLE_F_EMERG_WRITE; the device's debugfs
 *   switch force_emergency_write sends all console output that way, so
 *   that tests can see the path work without a panic.
 *
 * put_chars stages output in the port's transmit slots (one page each,
 * see vser_hvc_send()) and
 * get_chars the port's receive buffers; a console port is never open as
 * a data port (vser_port_make_console() and open() exclude each other),
 * so the file interface does not touch them.
 */
#include <linux/delay.h>
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "hvc_console.h"
#include "vser.h"

/* Longest put_chars may wait for a transmit slot, in microseconds. */
#define VSER_HVC_TX_WAIT_US	1000
/* Longest any callback retries a lock, in microseconds. */
#define VSER_HVC_LOCK_WAIT_US	100

/**
 * struct vser_hvc - a console port's hvc terminal.
 * @node:      entry in vser_hvc_list (RCU; changed under vser_hvc_lock)
 * @port:      the port; valid while @node is on the list, and for an RCU
 *             grace period after it leaves
 * @hp:        the hvc terminal
 * @vtermno:   our number for it in the hvc callbacks
 * @emerg:     the device negotiated VIRTIO_CONSOLE_F_EMERG_WRITE
 * @stalled:   a put_chars found no slot in time: the next ones do not
 *             wait until a slot comes back (port tx_lock)
 * @stage:     the slot put_chars is filling, not yet given to the
 *             device, or NULL (port tx_lock)
 * @staged:    bytes in @stage
 * @dropped:   put_chars calls that found no room, so the caller dropped
 *             or retried (port tx_lock)
 * @size_work: reads the size from the config space (single-port mode)
 */
struct vser_hvc {
	struct list_head node;
	struct vser_port *port;
	struct hvc_struct *hp;
	u32 vtermno;
	bool emerg;
	bool stalled;
	struct vser_txslot *stage;
	size_t staged;
	unsigned long dropped;
	struct work_struct size_work;
};

/*
 * The consoles by vtermno, for the hvc callbacks; few, so a list.  The
 * callbacks walk it under RCU; vser_hvc_lock serialises changes.
 */
static DEFINE_SPINLOCK(vser_hvc_lock);
static LIST_HEAD(vser_hvc_list);
static DEFINE_IDA(vser_hvc_ida);
/*
 * Serialises our hvc_alloc() calls: the first one starts hvc (khvcd, the
 * tty driver), and a concurrent second one (another device's control
 * work, or a probe) would not wait for that and could kick a khvcd that
 * does not exist yet.
 */
static DEFINE_MUTEX(vser_hvc_alloc_mutex);

/*
 * Lock waits: callers loop on spin_trylock(), calling this between tries;
 * false once *@us reaches VSER_HVC_LOCK_WAIT_US.
 */
static bool vser_hvc_lock_wait(unsigned int *us)
{
	if (*us >= VSER_HVC_LOCK_WAIT_US)
		return false;
	(*us)++;
	udelay(1);
	return true;
}

/* The console with @vtermno, or NULL; the caller is in an RCU section. */
static struct vser_hvc *vser_hvc_find(u32 vtermno)
{
	struct vser_hvc *con;

	list_for_each_entry_rcu(con, &vser_hvc_list, node)
		if (con->vtermno == vtermno)
			return con;
	return NULL;
}

/*
 * Copy what the port received to @buf.  Whenever the ready list runs
 * out, take what the device filled meanwhile (vser_rx_poll()); stop when
 * @buf is full or when that finds nothing, which leaves the receive
 * interrupt on (it kicks khvcd).  No poll after that: data it found
 * would raise no kick, and hvc stops calling once we return 0.  hvc
 * calls again whenever we return more than 0.
 * Return: bytes copied, or -EAGAIN if rx_lock stayed taken.
 */
static ssize_t vser_hvc_read(struct vser_port *port, u8 *buf, size_t count)
{
	bool kick = false, drained = false;
	unsigned int us = 0;
	struct vser_buf *rb;
	size_t copied = 0, n;

	while (!spin_trylock(&port->rx_lock))
		if (!vser_hvc_lock_wait(&us))
			return -EAGAIN;
	while (copied < count) {
		if (list_empty(&port->rx_ready) && !vser_rx_poll(port, NULL)) {
			drained = true;
			break;
		}
		rb = list_first_entry(&port->rx_ready, struct vser_buf, list);
		n = min(count - copied, rb->len - rb->off);
		memcpy(buf + copied, rb->data + rb->off, n);
		copied += n;
		rb->off += n;
		if (rb->off < rb->len)
			break;
		list_del_init(&rb->list);
		if (port->in_vq && !vser_buf_add_in(port->in_vq, rb))
			kick = true;
	}
	/*
	 * @buf filled up just as the list emptied: turn the interrupt back
	 * on now (we return @count, so hvc comes back for what this finds).
	 */
	if (!drained && list_empty(&port->rx_ready))
		vser_rx_poll(port, NULL);
	if (kick)
		virtqueue_kick(port->in_vq);
	spin_unlock(&port->rx_lock);
	return copied;
}

static ssize_t vser_hvc_get_chars(u32 vtermno, u8 *buf, size_t count)
{
	struct vser_hvc *con;
	unsigned long flags;
	ssize_t ret = -EPIPE;

	/* rx_lock is taken in the receive interrupt. */
	local_irq_save(flags);
	rcu_read_lock();
	con = vser_hvc_find(vtermno);
	if (con)
		ret = vser_hvc_read(con->port, buf, count);
	rcu_read_unlock();
	local_irq_restore(flags);
	return ret;
}

/* A free slot the queue has room for; the caller holds tx_lock. */
static struct vser_txslot *vser_hvc_slot(struct vser_port *port)
{
	unsigned int i;

	if (!port->out_vq->num_free)
		return NULL;
	for (i = 0; i < port->tx_nslots; i++)
		if (!port->tx[i].busy)
			return &port->tx[i];
	return NULL;
}

/* Whether the device holds none of our slots; the caller holds tx_lock. */
static bool vser_hvc_device_idle(struct vser_hvc *con)
{
	struct vser_port *port = con->port;
	unsigned int i;

	for (i = 0; i < port->tx_nslots; i++)
		if (port->tx[i].busy && &port->tx[i] != con->stage)
			return false;
	return true;
}

/* Give the staged slot to the device; the caller holds tx_lock. */
static void vser_hvc_push(struct vser_hvc *con)
{
	struct vser_port *port = con->port;
	struct vser_txslot *slot = con->stage;
	struct scatterlist sg;

	if (!slot)
		return;
	con->stage = NULL;
	if (!con->staged) {
		slot->busy = false;
		return;
	}
	sg_init_one(&sg, page_address(slot->pages[0]), con->staged);
	if (!port->out_vq ||
	    virtqueue_add_outbuf(port->out_vq, &sg, 1, slot, GFP_ATOMIC)) {
		slot->busy = false;
		con->dropped++;
		vser_stat_add(&port->stats.console_dropped, 1);
		return;
	}
	vser_stat_add(&port->stats.bytes_out, con->staged);
	vser_stat_add(&port->stats.bufs_out, 1);
	virtqueue_kick(port->out_vq);
}

/*
 * Take a slot to stage output in, waiting for one at most
 * %VSER_HVC_TX_WAIT_US, and not at all while stalled.  The caller holds
 * tx_lock.  Return: false if there was none.
 */
static bool vser_hvc_stage(struct vser_hvc *con)
{
	struct vser_port *port = con->port;
	struct vser_txslot *slot;
	unsigned int us = 0;

	for (;;) {
		slot = vser_hvc_slot(port);
		if (slot || con->stalled || us++ >= VSER_HVC_TX_WAIT_US)
			break;
		udelay(1);
		if (vser_tx_reclaim(port))
			con->stalled = false;
	}
	if (!slot) {
		con->stalled = true;
		return false;
	}
	slot->busy = true;
	con->stage = slot;
	con->staged = 0;
	return true;
}

/*
 * Append @buf to the staged slot.  hvc's console path hands us at most
 * 16 bytes per call: a slot and a notification each would fill the queue
 * after a few hundred bytes.  So output is staged, and the stage goes to
 * the device at once only when the device holds nothing of ours (no
 * delay for a lone write) or the page is full; else when the device
 * gives a buffer back (the transmit interrupt, turned on here), or on
 * hvc's flush, which its console path calls after each message.
 * Return: bytes taken, or 0 when there was no room (or no queue: frozen,
 * unplugged).
 */
static size_t vser_hvc_send(struct vser_hvc *con, const u8 *buf,
			    size_t count)
{
	struct vser_port *port = con->port;
	unsigned int us = 0;
	size_t ret = 0;

	while (!spin_trylock(&port->tx_lock))
		if (!vser_hvc_lock_wait(&us))
			return 0;
	if (!port->out_vq || !port->tx)
		goto unlock;
	if (vser_tx_reclaim(port))
		con->stalled = false;
	if (!con->stage && !vser_hvc_stage(con)) {
		con->dropped++;
		vser_stat_add(&port->stats.console_dropped, 1);
		goto unlock;
	}
	ret = min_t(size_t, count, PAGE_SIZE - con->staged);
	memcpy(page_address(con->stage->pages[0]) + con->staged, buf, ret);
	con->staged += ret;
	if (con->staged == PAGE_SIZE || vser_hvc_device_idle(con)) {
		vser_hvc_push(con);
	} else if (!virtqueue_enable_cb(port->out_vq)) {
		/* Buffers came back meanwhile: no interrupt for those. */
		virtqueue_disable_cb(port->out_vq);
		vser_tx_reclaim(port);
		vser_hvc_push(con);
	}
unlock:
	spin_unlock(&port->tx_lock);
	return ret;
}

/**
 * vser_hvc_tx_done() - the device gave transmit buffers back, or may have
 * (they were reclaimed): send what a console port has staged.
 * @port: the port; the caller holds its tx_lock
 */
void vser_hvc_tx_done(struct vser_port *port)
{
	/* Pairs with the release in vser_hvc_add(). */
	struct vser_hvc *con = smp_load_acquire(&port->hvc);

	if (con)
		vser_hvc_push(con);
}

/**
 * vser_hvc_tx_reset() - the port's slots were all taken back (freeze):
 * drop what a console port has staged.
 * @port: the port; the caller holds its tx_lock
 */
void vser_hvc_tx_reset(struct vser_port *port)
{
	struct vser_hvc *con = port->hvc;

	if (con)
		con->stage = NULL;
}

/* Send what @con has staged, if tx_lock can be had. */
static void vser_hvc_flush_con(struct vser_hvc *con)
{
	unsigned int us = 0;

	while (!spin_trylock(&con->port->tx_lock))
		if (!vser_hvc_lock_wait(&us))
			return;
	vser_hvc_push(con);
	spin_unlock(&con->port->tx_lock);
}

/* hvc's flush: its console path calls it after each message. */
static int vser_hvc_flush(u32 vtermno, bool wait)
{
	struct vser_hvc *con;
	unsigned long flags;

	local_irq_save(flags);
	rcu_read_lock();
	con = vser_hvc_find(vtermno);
	if (con)
		vser_hvc_flush_con(con);
	rcu_read_unlock();
	local_irq_restore(flags);
	return 0;
}

/*
 * Panic output the queue could not take, or all output while
 * force_emergency_write is on: one config write per byte.
 * virtio_cwrite32() may not be used here (it says it may sleep); the
 * transport's set() is what it calls, which does not sleep on
 * virtio-pci and virtio-mmio (it may on virtio-ccw).  Nothing orders
 * these bytes with buffers already on the queue.
 */
static void vser_hvc_emerg(struct vser_hvc *con, const u8 *buf,
			   size_t count)
{
	struct virtio_device *vdev = con->port->vsdev->vdev;
	__virtio32 v;
	size_t i;

	for (i = 0; i < count; i++) {
		v = cpu_to_virtio32(vdev, buf[i]);
		vdev->config->set(vdev, offsetof(struct virtio_console_config,
						 emerg_wr), &v, sizeof(v));
	}
	atomic64_add(count, &con->port->stats.console_emerg);
}

/*
 * Returning 0 makes a tty write retry later (khvcd polls) and a printk
 * drop the chunk; -EAGAIN would make hvc's console path spin, so it is
 * never returned.
 */
static ssize_t vser_hvc_put_chars(u32 vtermno, const u8 *buf, size_t count)
{
	struct vser_hvc *con;
	unsigned long flags;
	bool forced;
	ssize_t sent;

	local_irq_save(flags);
	rcu_read_lock();
	con = vser_hvc_find(vtermno);
	if (!con) {
		sent = -ENODEV;
		goto out;
	}
	/* See vser_device.emerg_forced. */
	forced = con->emerg && READ_ONCE(con->port->vsdev->emerg_forced);
	sent = forced ? 0 : vser_hvc_send(con, buf, count);
	if (!sent && con->emerg && (oops_in_progress || forced)) {
		vser_hvc_emerg(con, buf, count);
		sent = count;
	}
out:
	rcu_read_unlock();
	local_irq_restore(flags);
	return sent;
}

/*
 * Input is signalled: vser_rx_intr() kicks khvcd, which need not poll.
 * A size that came while the tty was closed is in @hp->ws only:
 * hvc_set_winsz() gives up without a tty, and hvc_open() does not apply
 * it.  The tty is set when this runs, so apply it now (as upstream's
 * notifier_add_vio() does).
 */
static int vser_hvc_notifier_add(struct hvc_struct *hp, int data)
{
	unsigned long flags;

	spin_lock_irqsave(&hp->lock, flags);
	hp->irq_requested = 1;
	if (hp->ws.ws_col && hp->ws.ws_row)
		__hvc_resize(hp, hp->ws);
	spin_unlock_irqrestore(&hp->lock, flags);
	return 0;
}

static void vser_hvc_notifier_del(struct hvc_struct *hp, int data)
{
	hp->irq_requested = 0;
}

static const struct hv_ops vser_hv_ops = {
	.get_chars = vser_hvc_get_chars,
	.put_chars = vser_hvc_put_chars,
	.flush = vser_hvc_flush,
	.notifier_add = vser_hvc_notifier_add,
	.notifier_del = vser_hvc_notifier_del,
	.notifier_hangup = vser_hvc_notifier_del,
};

/**
 * vser_hvc_kick() - wake khvcd: a console port received data.
 *
 * Any context.
 */
void vser_hvc_kick(void)
{
	hvc_kick();
}

/* Single-port mode with F_SIZE: the size is in the config space. */
static void vser_hvc_size_work(struct work_struct *work)
{
	struct vser_hvc *con = container_of(work, struct vser_hvc, size_work);
	struct virtio_device *vdev = con->port->vsdev->vdev;
	const char *why;
	u16 cols, rows;

	virtio_cread(vdev, struct virtio_console_config, cols, &cols);
	virtio_cread(vdev, struct virtio_console_config, rows, &rows);
	if (vser_resize_check(cols, rows, &why)) {
		/* QEMU leaves both 0 even when it offers F_SIZE. */
		if (cols || rows)
			dev_warn_ratelimited(&vdev->dev, "console size %ux%u in config space: %s; ignored\n",
					     cols, rows, why);
		return;
	}
	hvc_resize(con->hp, (struct winsize){ .ws_col = cols, .ws_row = rows });
}

/**
 * vser_hvc_config_changed() - the config space changed: in single-port
 * mode with %VIRTIO_CONSOLE_F_SIZE, the console size may have.
 * @vsdev: the device
 *
 * Any context; the size is read in a work item.
 */
void vser_hvc_config_changed(struct vser_device *vsdev)
{
	struct vser_port *port;
	struct vser_hvc *con;
	unsigned long flags;

	if (vsdev->multiport ||
	    !virtio_has_feature(vsdev->vdev, VIRTIO_CONSOLE_F_SIZE))
		return;
	/* vser_hvc_del() runs after the port has left the table. */
	spin_lock_irqsave(&vsdev->ports_lock, flags);
	port = vsdev->ports[0];
	/* Pairs with the release in vser_hvc_add(): @hp, @size_work set. */
	con = port ? smp_load_acquire(&port->hvc) : NULL;
	if (con)
		schedule_work(&con->size_work);
	spin_unlock_irqrestore(&vsdev->ports_lock, flags);
}

/**
 * vser_hvc_add() - make a console port an hvc terminal.
 * @port: the port; the caller holds the device's ctrl_mutex
 *
 * The port counts as open in the guest from here on (its data is kept
 * for get_chars, and a restore sends PORT_OPEN(1) again).
 *
 * Return: 0 (also when it is one already) or a negative errno.
 */
int vser_hvc_add(struct vser_port *port)
{
	struct virtio_device *vdev = port->vsdev->vdev;
	struct hvc_struct *hp;
	struct vser_hvc *con;
	int err, id;

	if (port->hvc)
		return 0;
	err = vser_tx_alloc(port, true);
	if (err)
		return err;
	err = -ENOMEM;
	con = kzalloc(sizeof(*con), GFP_KERNEL);
	if (!con)
		goto free_tx;
	id = ida_alloc_min(&vser_hvc_ida, 1, GFP_KERNEL);
	if (id < 0) {
		err = id;
		goto free_con;
	}
	con->vtermno = id;
	con->port = port;
	con->emerg = virtio_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE);
	INIT_WORK(&con->size_work, vser_hvc_size_work);

	spin_lock_irq(&port->lock);
	port->guest_connected = true;
	spin_unlock_irq(&port->lock);
	/* Callbacks may come as soon as hvc_alloc() registers the console. */
	spin_lock(&vser_hvc_lock);
	list_add_tail_rcu(&con->node, &vser_hvc_list);
	spin_unlock(&vser_hvc_lock);

	mutex_lock(&vser_hvc_alloc_mutex);
	hp = hvc_alloc(con->vtermno, 0, &vser_hv_ops, PAGE_SIZE);
	mutex_unlock(&vser_hvc_alloc_mutex);
	if (IS_ERR(hp)) {
		err = PTR_ERR(hp);
		spin_lock(&vser_hvc_lock);
		list_del_rcu(&con->node);
		spin_unlock(&vser_hvc_lock);
		synchronize_rcu();
		spin_lock_irq(&port->lock);
		port->guest_connected = false;
		spin_unlock_irq(&port->lock);
		ida_free(&vser_hvc_ida, con->vtermno);
		goto free_con;
	}
	con->hp = hp;
	/* Interrupt paths read @port->hvc without our locks: publish last. */
	smp_store_release(&port->hvc, con);
	dev_info(port->dev, "port %u is console hvc%d\n", port->id, hp->index);
	/* Data that came before the console did. */
	hvc_kick();
	if (!port->vsdev->multiport)
		vser_hvc_config_changed(port->vsdev);
	return 0;

free_con:
	kfree(con);
free_tx:
	/* A refused console is never written to: nothing is in flight. */
	vser_tx_release(port);
	return err;
}

/**
 * vser_hvc_del() - remove a console port's hvc terminal.
 * @port: the port, already out of its device's table; the caller holds
 *        the device's ctrl_mutex
 *
 * Safe with /dev/hvcN open: hvc_remove() hangs the tty up, and callbacks
 * that come later find no console (get_chars -EPIPE, put_chars -ENODEV).
 */
void vser_hvc_del(struct vser_port *port)
{
	struct vser_hvc *con = port->hvc;

	if (!con)
		return;
	spin_lock(&vser_hvc_lock);
	list_del_rcu(&con->node);
	spin_unlock(&vser_hvc_lock);
	/* No callback uses @con or the port's queues after this. */
	synchronize_rcu();
	WRITE_ONCE(port->hvc, NULL);
	cancel_work_sync(&con->size_work);
	hvc_remove(con->hp);
	if (con->dropped)
		dev_info(port->dev, "console port %u: %lu writes found no room\n",
			 port->id, con->dropped);
	ida_free(&vser_hvc_ida, con->vtermno);
	kfree(con);
}

/**
 * vser_hvc_resize() - RESIZE from the device: set the terminal's size.
 * @port: the port; the caller holds the device's ctrl_mutex
 * @cols: columns, checked by vser_resize_check()
 * @rows: rows, checked too
 */
void vser_hvc_resize(struct vser_port *port, u16 cols, u16 rows)
{
	struct vser_hvc *con = port->hvc;

	if (!con) {
		dev_warn_ratelimited(port->dev, "RESIZE for port %u, which is not an hvc console; ignored\n",
				     port->id);
		return;
	}
	hvc_resize(con->hp, (struct winsize){ .ws_col = cols, .ws_row = rows });
}
