// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial: virtqueues and their buffers.
 *
 * Receive side: each port keeps %VSER_RX_BUFS page-sized buffers on its
 * receive queue.  Filled buffers move to the port's rx_ready list, and a
 * read drains as many of them as its user buffer holds, giving each one
 * back to the device as soon as it is empty (a notification every
 * %VSER_RX_KICK_BATCH buffers, and one when the list runs empty).
 *
 * Transmit side: an open port owns %VSER_TX_SLOTS slots of
 * %VSER_TX_SLOT_SIZE bytes, allocated at open and freed at close.  A
 * write copies user data straight into free slots and hands each slot to
 * the device as one buffer: no allocation per write, one notification
 * per write call.  Transmit interrupts stay off while nobody waits for
 * room, except for a write that follows a read and finds nothing else in
 * flight when the read after it will not poll; writers reclaim finished
 * slots themselves.
 */
#include <kunit/visibility.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vser.h"

/**
 * vser_vq_port_id() - the port a data virtqueue belongs to.
 * @vq: port 0 rx/tx are queues 0 and 1, port n >= 1 uses 2n + 2 and 2n + 3
 *
 * Return: the port id.
 */
u32 vser_vq_port_id(struct virtqueue *vq)
{
	return vq->index < 2 ? 0 : vq->index / 2 - 1;
}

/**
 * vser_buf_alloc() - allocate a receive buffer.
 * @gfp: allocation flags
 *
 * The page is zeroed: a device that claims more bytes than it wrote must
 * find nothing of the kernel's in it.
 *
 * Return: the buffer, or NULL.
 */
struct vser_buf *vser_buf_alloc(gfp_t gfp)
{
	struct vser_buf *buf = kzalloc(sizeof(*buf), gfp);

	if (!buf)
		return NULL;
	buf->data = (void *)get_zeroed_page(gfp);
	if (!buf->data) {
		kfree(buf);
		return NULL;
	}
	INIT_LIST_HEAD(&buf->list);
	return buf;
}

void vser_buf_free(struct vser_buf *buf)
{
	if (!buf)
		return;
	free_page((unsigned long)buf->data);
	kfree(buf);
}

/* Give @buf to the device as a receive buffer; caller holds the vq lock. */
int vser_buf_add_in(struct virtqueue *vq, struct vser_buf *buf)
{
	struct scatterlist sg;

	buf->len = 0;
	buf->off = 0;
	sg_init_one(&sg, buf->data, VSER_RX_BUF_SIZE);
	return virtqueue_add_inbuf(vq, &sg, 1, buf, GFP_ATOMIC);
}

/**
 * vser_rx_fill() - allocate the port's receive buffers and queue them.
 * @port: a port with a receive queue; the caller holds the device's
 *        ctrl_mutex, which serialises every change of @port->rx_bufs
 *
 * Return: 0, or -ENOMEM when the port has no receive buffer at all.
 */
int vser_rx_fill(struct vser_port *port)
{
	unsigned int i, queued = 0, have = 0;
	struct vser_buf *buf;
	bool kick = false;

	for (i = 0; i < VSER_RX_BUFS; i++) {
		/* Taken over from a removed port, still on the queue. */
		if (port->rx_bufs[i]) {
			have++;
			continue;
		}
		buf = vser_buf_alloc(GFP_KERNEL);
		if (!buf)
			break;
		spin_lock_irq(&port->rx_lock);
		if (port->in_vq && !vser_buf_add_in(port->in_vq, buf)) {
			port->rx_bufs[i] = buf;
			buf = NULL;
			queued++;
		}
		spin_unlock_irq(&port->rx_lock);
		if (buf) {
			vser_buf_free(buf);
			break;
		}
	}
	spin_lock_irq(&port->rx_lock);
	if (queued)
		kick = virtqueue_kick_prepare(port->in_vq);
	spin_unlock_irq(&port->rx_lock);
	if (kick)
		virtqueue_notify(port->in_vq);
	return queued || have ? 0 : -ENOMEM;
}

/**
 * vser_rx_drain() - detach the receive queue, take every buffer back
 * and free it.
 * @port: the port; the caller holds its read_mutex and the device's
 *        ctrl_mutex, and the device is reset or no longer uses the
 *        port's queues
 */
void vser_rx_drain(struct vser_port *port)
{
	unsigned int len, i;

	spin_lock_irq(&port->rx_lock);
	if (port->in_vq) {
		while (virtqueue_get_buf(port->in_vq, &len))
			;
		while (virtqueue_detach_unused_buf(port->in_vq))
			;
	}
	port->in_vq = NULL;
	INIT_LIST_HEAD(&port->rx_ready);
	spin_unlock_irq(&port->rx_lock);
	vser_rx_stop(port);

	/* The device holds none of them now; nothing else looks at them. */
	for (i = 0; i < VSER_RX_BUFS; i++) {
		vser_buf_free(port->rx_bufs[i]);
		port->rx_bufs[i] = NULL;
	}
}

/**
 * vser_rx_discard() - drop unread data and give its buffers back.
 * @port: the port; the caller holds its read_mutex
 */
void vser_rx_discard(struct vser_port *port)
{
	struct vser_buf *buf, *next;
	bool kick = false, wake;

	spin_lock_irq(&port->rx_lock);
	list_for_each_entry_safe(buf, next, &port->rx_ready, list) {
		list_del_init(&buf->list);
		vser_stat_add(&port->stats.bytes_discarded, buf->len - buf->off);
		vser_stat_add(&port->stats.bufs_discarded, 1);
		if (port->in_vq && !vser_buf_add_in(port->in_vq, buf))
			kick = true;
	}
	if (kick)
		kick = virtqueue_kick_prepare(port->in_vq);
	/* Nothing is left to read: turn the interrupt back on. */
	wake = vser_rx_poll(port, NULL);
	spin_unlock_irq(&port->rx_lock);
	if (wake)
		wake_up_interruptible(&port->rx_waitq);
	if (kick)
		virtqueue_notify(port->in_vq);
}

/*
 * Move the buffers the device has filled to @rx_ready; data for a port
 * nobody has open is dropped, as the in-tree driver does.  Takes at most
 * *@budget buffers: empty ones (and all while the port is closed) go
 * straight back to the device, and a device that completes them again at
 * once would otherwise keep us here forever, in an interrupt handler.
 * When the budget runs out the rest is left to @rx_work.  Return: true
 * if data was queued for readers.
 */
static bool vser_rx_collect(struct vser_port *port, unsigned int *budget)
	__must_hold(&port->rx_lock)
{
	struct virtqueue *vq = port->in_vq;
	bool data = false, kick = false;
	struct vser_buf *buf;
	unsigned int len;

	while (vq && *budget && (buf = virtqueue_get_buf(vq, &len))) {
		(*budget)--;
		if (len > VSER_RX_BUF_SIZE) {
			dev_warn_ratelimited(&vq->vdev->dev,
					     "port %u: used length %u exceeds the %lu-byte buffer; clamped\n",
					     port->id, len, VSER_RX_BUF_SIZE);
			len = VSER_RX_BUF_SIZE;
			vser_stat_add(&port->stats.truncated, 1);
		}
		if (!len || !READ_ONCE(port->guest_connected)) {
			if (len) {
				vser_stat_add(&port->stats.bytes_discarded, len);
				vser_stat_add(&port->stats.bufs_discarded, 1);
			}
			if (!vser_buf_add_in(vq, buf))
				kick = true;
			continue;
		}
		vser_stat_add(&port->stats.bytes_in, len);
		vser_stat_add(&port->stats.bufs_in, 1);
		buf->len = len;
		list_add_tail(&buf->list, &port->rx_ready);
		data = true;
	}
	if (kick)
		virtqueue_kick(vq);
	if (vq && !*budget) {
		dev_warn_ratelimited(&vq->vdev->dev,
				     "port %u: the device keeps completing receive buffers; deferred\n",
				     port->id);
		schedule_work(&port->rx_work);
	}
	return data;
}

/**
 * vser_rx_poll() - take what the device has filled since the interrupt,
 * and turn the interrupt back on once nothing is left to read.
 * @port: the port; the caller holds its rx_lock
 * @got:  if not NULL, set to true when this call moved data to @rx_ready
 *
 * The receive interrupt is off while @rx_ready holds data: the reader
 * draining it calls this when it runs out, and so picks up the buffers
 * the device filled meanwhile without an interrupt for each (QEMU fills
 * one page per chardev read).  Whoever empties @rx_ready calls this, so
 * once a port's buffers are in use an empty @rx_ready has the interrupt
 * on, and a waiting reader is always woken.
 *
 * Data this call collects raises no SIGIO of its own, and the interrupt
 * that may already be on its way for it then finds nothing new: a caller
 * that leaves such data unread sends the POLL_IN itself (@got).
 *
 * Bounded like vser_rx_collect(), with one budget for the whole call: a
 * device that completes a buffer each time the interrupt comes on gets
 * the rest handled by @rx_work.
 *
 * Return: true if @rx_ready holds data.
 */
bool vser_rx_poll(struct vser_port *port, bool *got)
	__must_hold(&port->rx_lock)
{
	unsigned int budget = VSER_RX_BUDGET;

	while (list_empty(&port->rx_ready) && port->in_vq && budget) {
		if (vser_rx_collect(port, &budget)) {
			if (got)
				*got = true;
			break;
		}
		if (!budget || virtqueue_enable_cb(port->in_vq))
			break;
		/* Filled meanwhile: take it with the interrupt off. */
		virtqueue_disable_cb(port->in_vq);
	}
	return !list_empty(&port->rx_ready);
}

/* Tell readers, the SIGIO owner and hvc that data was queued. */
static void vser_rx_wake(struct vser_port *port)
{
	wake_up_interruptible(&port->rx_waitq);
	vser_port_notify(port, POLL_IN);
	if (READ_ONCE(port->hvc))
		vser_hvc_kick();
}

/**
 * vser_rx_busy_poll() - wait a short while for data with the CPU running.
 * @port: the port; the caller holds its read_mutex, which keeps @in_vq
 * @ns:   how long to poll at most
 *
 * A reader that has just sent a request waits for an answer that the
 * host may have ready within tens of microseconds.  Sleeping meanwhile
 * halts the vCPU, and the host then has to wake it before it can take
 * the interrupt; under QEMU that wake-up is a large part of a round trip.
 * So watch the used ring for up to @ns, with the receive interrupt off
 * (normally: where queues share a vector, vser_rx_intr() may still run
 * and turn it on, which costs an interrupt and nothing else); stop early
 * when the host disconnects, the port is unplugged, the device is broken,
 * a signal is pending or another task wants the CPU.  What arrives is
 * handled as an interrupt would handle it (readers, the SIGIO owner and
 * hvc hear of it).  At return the interrupt is on again if nothing is
 * ready, or @rx_work has the rest, as vser_rx_poll() leaves them: a
 * reader that goes to sleep is woken.
 *
 * A second reader of the port, blocked on read_mutex, may spin on it
 * for as long (mutex optimistic spinning).
 *
 * Return: true if data is ready to read.
 */
bool vser_rx_busy_poll(struct vser_port *port, u64 ns)
{
	u64 end = local_clock() + ns;
	struct virtqueue *vq;
	bool ready, got = false;
	unsigned int last;

	lockdep_assert_held(&port->read_mutex);
	vser_stat_add(&port->stats.read_polls, 1);
	spin_lock_irq(&port->rx_lock);
	vq = port->in_vq;
	if (!vq || !list_empty(&port->rx_ready)) {
		spin_unlock_irq(&port->rx_lock);
		ready = !!vq;
		goto out;
	}
	last = virtqueue_enable_cb_prepare(vq);
	virtqueue_disable_cb(vq);
	spin_unlock_irq(&port->rx_lock);

	while (!virtqueue_poll(vq, last) && !virtqueue_is_broken(vq) &&
	       READ_ONCE(port->host_connected) &&
	       !READ_ONCE(port->unplugged) && !need_resched() &&
	       !signal_pending(current) && local_clock() < end)
		cpu_relax();

	spin_lock_irq(&port->rx_lock);
	ready = vser_rx_poll(port, &got);
	spin_unlock_irq(&port->rx_lock);
	if (got)
		vser_rx_wake(port);
out:
	if (ready)
		vser_stat_add(&port->stats.read_poll_hits, 1);
	return ready;
}

/**
 * vser_rx_work() - carry on where a receive interrupt or poll stopped
 * because its budget ran out.
 * @work: &vser_port.rx_work; cancelled by vser_rx_stop() once the port
 *        has lost its receive queue
 */
void vser_rx_work(struct work_struct *work)
{
	struct vser_port *port = container_of(work, struct vser_port, rx_work);
	bool got = false;

	spin_lock_irq(&port->rx_lock);
	if (list_empty(&port->rx_ready))
		vser_rx_poll(port, &got);
	spin_unlock_irq(&port->rx_lock);
	if (got)
		vser_rx_wake(port);
}

/**
 * vser_rx_stop() - wait for @rx_work once the port's receive queue is
 * gone (@in_vq NULL): it then neither runs nor is queued again.
 * @port: the port
 */
void vser_rx_stop(struct vser_port *port)
{
	cancel_work_sync(&port->rx_work);
}

/**
 * vser_rx_intr() - receive queue callback: queue the filled buffers.
 * @vq: a port's receive queue
 *
 * Runs in interrupt context.  Once data is queued for a reader, further
 * interrupts stay off until the reader has drained it: see
 * vser_rx_poll().
 */
void vser_rx_intr(struct virtqueue *vq)
{
	struct vser_device *vsdev = vq->vdev->priv;
	unsigned int budget = VSER_RX_BUDGET;
	struct vser_port *port;
	unsigned long flags;
	bool data = false;

	spin_lock_irqsave(&vsdev->ports_lock, flags);
	port = vser_vq_port_id(vq) < vsdev->max_ports ?
	       vsdev->ports[vser_vq_port_id(vq)] : NULL;
	if (!port) {
		spin_unlock_irqrestore(&vsdev->ports_lock, flags);
		dev_warn_ratelimited(&vq->vdev->dev,
				     "interrupt on queue %u of no port\n",
				     vq->index);
		return;
	}
	spin_lock(&port->rx_lock);
	if (port->in_vq == vq) {
		/*
		 * Off before collecting: with VIRTIO_RING_F_EVENT_IDX each
		 * virtqueue_get_buf() with the interrupt on asks for one more
		 * at the next buffer, which virtqueue_disable_cb() called from
		 * the callback does not take back.  It stays off while data
		 * waits or while rx_work carries on, and comes back on, as
		 * vser_rx_poll() does it, when neither is the case.
		 */
		virtqueue_disable_cb(vq);
		data = vser_rx_collect(port, &budget);
		if (list_empty(&port->rx_ready) && budget)
			vser_rx_poll(port, &data);
	}
	spin_unlock(&port->rx_lock);
	if (data)
		vser_rx_wake(port);
	spin_unlock_irqrestore(&vsdev->ports_lock, flags);
}

/**
 * vser_tx_slots_free() - free a slot array and whichever of its pages
 * were allocated.
 * @tx: the array, or NULL
 */
void vser_tx_slots_free(struct vser_txslot *tx)
{
	unsigned int i, j;

	if (!tx)
		return;
	for (i = 0; i < VSER_TX_SLOTS; i++) {
		if (tx[i].contig) {
			__free_pages(tx[i].pages[0], VSER_TX_SLOT_ORDER);
			continue;
		}
		for (j = 0; j < VSER_TX_SLOT_PAGES; j++)
			if (tx[i].pages[j])
				__free_page(tx[i].pages[j]);
	}
	kfree(tx);
}

/**
 * vser_tx_alloc() - give a port its transmit slots, if it has none.
 * @port:  the port
 * @small: one page per slot: for a console, whose writes (hvc
 *         put_chars) never take more than a page
 *
 * A data port gets its slots at open and gives them back at close
 * (vser_tx_release()); a console keeps its own while it is one.
 *
 * Return: 0 or -ENOMEM.
 */
int vser_tx_alloc(struct vser_port *port, bool small)
{
	unsigned int i, j, pages = small ? 1 : VSER_TX_SLOT_PAGES;
	struct vser_txslot *tx;

	if (READ_ONCE(port->tx))
		return 0;
	tx = kcalloc(VSER_TX_SLOTS, sizeof(*tx), GFP_KERNEL);
	if (!tx)
		return -ENOMEM;
	for (i = 0; i < VSER_TX_SLOTS; i++) {
		/* One block if memory is not too fragmented for it. */
		if (!small)
			tx[i].pages[0] = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
						     __GFP_NORETRY,
						     VSER_TX_SLOT_ORDER);
		if (tx[i].pages[0]) {
			tx[i].contig = true;
			continue;
		}
		for (j = 0; j < pages; j++) {
			tx[i].pages[j] = alloc_page(GFP_KERNEL);
			if (!tx[i].pages[j])
				goto free_slots;
		}
	}
	spin_lock_irq(&port->tx_lock);
	if (!port->tx) {
		port->tx = tx;
		tx = NULL;
	}
	spin_unlock_irq(&port->tx_lock);
	/* Lost a race with another opener's allocation: keep theirs. */
	vser_tx_slots_free(tx);
	return 0;

free_slots:
	vser_tx_slots_free(tx);
	return -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(vser_tx_alloc);

/**
 * vser_tx_release() - free a port's transmit slots once nothing writes
 * with them, if the device has given every one back; slots still in
 * flight stay until the next call or until the port is freed.
 * @port: the port: closed (the caller holds its write_mutex), or a
 *        console that did not become an hvc terminal
 */
void vser_tx_release(struct vser_port *port)
{
	struct vser_txslot *tx = NULL;
	unsigned int i;

	spin_lock_irq(&port->tx_lock);
	vser_tx_reclaim(port);
	for (i = 0; port->tx && i < VSER_TX_SLOTS; i++)
		if (port->tx[i].busy)
			break;
	if (port->tx && i == VSER_TX_SLOTS) {
		tx = port->tx;
		port->tx = NULL;
	}
	spin_unlock_irq(&port->tx_lock);
	vser_tx_slots_free(tx);
}

/**
 * vser_tx_free() - free the transmit slots.
 * @port: an unplugged port whose transmit queue holds none of them
 */
void vser_tx_free(struct vser_port *port)
{
	vser_tx_slots_free(port->tx);
	port->tx = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vser_tx_free);

/**
 * vser_tx_set_queue() - give a port its transmit queue.
 * @port: the port; the caller holds its tx_lock
 * @vq:   the queue; its interrupt is turned off until it is needed (see
 *        vser_tx_intr())
 *
 * Sizes the slots from the queue: never more slots than descriptors, nor
 * more pages per slot, so that the queue has room for every slot even
 * without indirect descriptors.  The room check before each send covers
 * a queue that has fewer descriptors than slots times pages.
 */
void vser_tx_set_queue(struct vser_port *port, struct virtqueue *vq)
	__must_hold(&port->tx_lock)
{
	unsigned int size = virtqueue_get_vring_size(vq);

	port->out_vq = vq;
	port->tx_nslots = clamp_t(unsigned int, size, 1, VSER_TX_SLOTS);
	port->tx_pages = clamp_t(unsigned int, size, 1, VSER_TX_SLOT_PAGES);
	virtqueue_disable_cb(vq);
}
EXPORT_SYMBOL_IF_KUNIT(vser_tx_set_queue);

/**
 * vser_tx_reclaim() - take back the slots the device has finished with.
 * @port: the port; the caller holds its tx_lock
 *
 * Return: true if a slot came back.
 */
bool vser_tx_reclaim(struct vser_port *port)
	__must_hold(&port->tx_lock)
{
	struct vser_txslot *slot;
	unsigned int len;
	bool freed = false;

	if (!port->out_vq)
		return false;
	while ((slot = virtqueue_get_buf(port->out_vq, &len))) {
		slot->busy = false;
		freed = true;
	}
	return freed;
}

/**
 * vser_tx_intr() - transmit queue callback, enabled only while a writer
 * or a poller waits for room, a console has output staged, or a write
 * that followed a read is in flight (vser_tx_send()).
 * @vq: a port's transmit queue
 */
void vser_tx_intr(struct virtqueue *vq)
{
	struct vser_device *vsdev = vq->vdev->priv;
	struct vser_port *port;
	unsigned long flags;
	bool room = false, wake = false;

	spin_lock_irqsave(&vsdev->ports_lock, flags);
	port = vser_vq_port_id(vq) < vsdev->max_ports ?
	       vsdev->ports[vser_vq_port_id(vq)] : NULL;
	if (!port) {
		spin_unlock_irqrestore(&vsdev->ports_lock, flags);
		return;
	}
	spin_lock(&port->tx_lock);
	if (port->out_vq == vq) {
		/*
		 * With one MSI-X vector for all queues (QEMU's default) this
		 * runs on every interrupt of the device while a sent buffer
		 * waits to be reclaimed, turned on or not: only a writer or
		 * poller that turned it on to wait for room is woken.
		 */
		wake = port->tx_waiting;
		port->tx_waiting = false;
		virtqueue_disable_cb(vq);
		if (vser_tx_reclaim(port) && port->tx_full) {
			port->tx_full = false;
			room = true;
		}
		/*
		 * Still full: a writer took back what the device completed
		 * before this callback ran, filled the queue again and turned
		 * the interrupt on, which the disable above undid.  It stays
		 * on until room comes (POLL_OUT for an O_NONBLOCK writer).
		 */
		while (port->tx_full && !virtqueue_enable_cb(vq)) {
			if (!vser_tx_reclaim(port))
				break;
			port->tx_full = false;
			room = true;
			virtqueue_disable_cb(vq);
		}
		/* A console waits for this to send what it staged. */
		vser_hvc_tx_done(port);
	}
	spin_unlock(&port->tx_lock);
	if (wake)
		wake_up_interruptible(&port->tx_waitq);
	if (room)
		vser_port_notify(port, POLL_OUT);
	spin_unlock_irqrestore(&vsdev->ports_lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(vser_tx_intr);

static vq_callback_t *vser_vq_callback(unsigned int i)
{
	if (i == 2)
		return vser_ctrl_intr;
	if (i == 3)
		return vser_ctrl_ack;
	return i % 2 ? vser_tx_intr : vser_rx_intr;
}

static const char *vser_vq_name(unsigned int i)
{
	static const char * const names[] = {
		"input", "output", "control-i", "control-o",
	};

	return i < 4 ? names[i] : names[i % 2];
}

/**
 * vser_find_vqs() - create every virtqueue the device has.
 * @vsdev: the device, @nvqs set
 *
 * Return: 0 or a negative errno.
 */
int vser_find_vqs(struct vser_device *vsdev)
{
#ifdef VSER_HAVE_VQ_INFO
	struct virtqueue_info *info;
#else
	vq_callback_t **callbacks;
	const char **names;
#endif
	unsigned int i;
	int err;

	vsdev->vqs = kcalloc(vsdev->nvqs, sizeof(*vsdev->vqs), GFP_KERNEL);
	if (!vsdev->vqs)
		return -ENOMEM;
#ifdef VSER_HAVE_VQ_INFO
	info = kcalloc(vsdev->nvqs, sizeof(*info), GFP_KERNEL);
	err = -ENOMEM;
	if (!info)
		goto free_vqs;
	for (i = 0; i < vsdev->nvqs; i++) {
		info[i].name = vser_vq_name(i);
		info[i].callback = vser_vq_callback(i);
	}
	err = virtio_find_vqs(vsdev->vdev, vsdev->nvqs, vsdev->vqs, info, NULL);
	kfree(info);
#else
	callbacks = kcalloc(vsdev->nvqs, sizeof(*callbacks), GFP_KERNEL);
	names = kcalloc(vsdev->nvqs, sizeof(*names), GFP_KERNEL);
	err = -ENOMEM;
	if (!callbacks || !names)
		goto free_arrays;
	for (i = 0; i < vsdev->nvqs; i++) {
		names[i] = vser_vq_name(i);
		callbacks[i] = vser_vq_callback(i);
	}
	err = virtio_find_vqs(vsdev->vdev, vsdev->nvqs, vsdev->vqs, callbacks,
			      names, NULL);
free_arrays:
	kfree(callbacks);
	kfree(names);
#endif
	if (!err)
		return 0;
#ifdef VSER_HAVE_VQ_INFO
free_vqs:
#endif
	kfree(vsdev->vqs);
	vsdev->vqs = NULL;
	return err;
}

/**
 * vser_ctrl_fill() - fill the control receive queue (up to
 * %VSER_CTRL_RX_BUFS buffers).
 * @vsdev: a multiport device whose device is ready
 *
 * Takes ctrl_mutex: the device may complete the first buffer at once,
 * and the control work must not take it off the queue while the others
 * are being added (the queue has no lock of its own).
 *
 * Return: 0, or -ENOMEM when none could be queued.
 */
int vser_ctrl_fill(struct vser_device *vsdev)
{
	struct virtqueue *vq = vsdev->vqs[2];
	unsigned int i, queued = 0;

	mutex_lock(&vsdev->ctrl_mutex);
	for (i = 0; i < VSER_CTRL_RX_BUFS && vq->num_free; i++) {
		if (!vsdev->ctrl_bufs[i])
			vsdev->ctrl_bufs[i] = vser_buf_alloc(GFP_KERNEL);
		if (!vsdev->ctrl_bufs[i])
			continue;
		if (!vser_buf_add_in(vq, vsdev->ctrl_bufs[i]))
			queued++;
	}
	if (queued)
		virtqueue_kick(vq);
	mutex_unlock(&vsdev->ctrl_mutex);
	return queued ? 0 : -ENOMEM;
}

/**
 * vser_ctrl_free() - take back and free the control queues' buffers.
 * @vsdev: a multiport device, already reset
 */
void vser_ctrl_free(struct vser_device *vsdev)
{
	unsigned int i, len;
	void *msg;

	while (virtqueue_detach_unused_buf(vsdev->vqs[2]))
		;
	for (i = 0; i < VSER_CTRL_RX_BUFS; i++) {
		vser_buf_free(vsdev->ctrl_bufs[i]);
		vsdev->ctrl_bufs[i] = NULL;
	}
	spin_lock_irq(&vsdev->ctrl_lock);
	while ((msg = virtqueue_get_buf(vsdev->vqs[3], &len)))
		kfree(msg);
	while ((msg = virtqueue_detach_unused_buf(vsdev->vqs[3])))
		kfree(msg);
	spin_unlock_irq(&vsdev->ctrl_lock);
}
