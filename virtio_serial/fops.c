// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial: the file interface of a port.
 *
 * One opener at a time (-EBUSY), as the in-tree driver.  The semantics of
 * each call in each state (host connected, host not connected, port
 * unplugged) are in Documentation/virtio_serial.rst; in short:
 *
 * read:  data first; then 0 (EOF) while the host is not connected;
 *        -EAGAIN (O_NONBLOCK) or wait while it is; -ENODEV once unplugged.
 * write: waits (or -EAGAIN) while the host is not connected or every
 *        transmit slot is in flight; -ENODEV once unplugged.
 * SIGIO: POLL_IN data arrived, POLL_OUT room after a full queue or host
 *        connected, POLL_HUP host disconnected, POLL_ERR port unplugged.
 */
#include <kunit/visibility.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/splice.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include <linux/virtio_config.h>

#include "vser.h"
#include "trace.h"

/**
 * vser_port_notify() - send SIGIO with @band to the port's opener, if it
 * asked for it (O_ASYNC).
 * @port: the port
 * @band: POLL_IN, POLL_OUT, POLL_HUP or POLL_ERR (becomes si_code)
 *
 * Any context.
 */
void vser_port_notify(struct vser_port *port, int band)
{
	if (!READ_ONCE(port->guest_connected) || !READ_ONCE(port->async))
		return;
	atomic64_inc(&port->stats.sigio);
	kill_fasync(&port->async, SIGIO, band);
}

/*
 * Copies to and from user memory of at least this many bytes go through
 * the pinned user pages (vser_copy_user()).
 */
#define VSER_PIN_MIN		512
/* Pages pinned at a time: a transmit slot, wherever it starts. */
#define VSER_PIN_PAGES		(VSER_TX_SLOT_PAGES + 1)

/**
 * vser_copy_user() - copy between a kernel buffer and a user iterator
 * through the user's pages.
 * @kbuf: the kernel side
 * @len:  bytes to copy at most
 * @user: the user side: a destination (read) or a source (write); it
 *        advances by the bytes copied, as with copy_to_iter()
 *
 * copy_to_user() and copy_from_user() use "rep movsb" on CPUs with ERMS
 * but without FSRM, which is what QEMU's TCG offers up to 7.2: there it
 * is emulated one byte per iteration, and a 64 KiB copy is most of what
 * a read or write of that size costs.  The pages of the user buffer are
 * pinned instead and copied with memcpy(), as any kernel-to-kernel copy;
 * on hardware this costs about as much as the plain copy.  Small copies,
 * kernels without iov_iter_extract_pages() and buffers whose pages
 * cannot be pinned (VM_IO or VM_PFNMAP mappings, say) take the plain
 * copy, with its usual fault handling.
 *
 * Return: the bytes copied, less than @len only where a plain copy would
 * have stopped too (a fault).
 */
static size_t vser_copy_user(void *kbuf, size_t len, struct iov_iter *user)
{
	bool to_user = iov_iter_rw(user) == ITER_DEST;
	size_t done = 0;
#ifdef VSER_HAVE_EXTRACT
	struct page *pages[VSER_PIN_PAGES], **pp;
	size_t off, part;
	unsigned int i;
	ssize_t got;

	if (len < VSER_PIN_MIN || !user_backed_iter(user))
		goto plain;
	while (done < len) {
		pp = pages;
		got = iov_iter_extract_pages(user, &pp, len - done,
					     VSER_PIN_PAGES, 0, &off);
		if (got <= 0)
			break;
		for (i = 0; got > 0; i++) {
			part = min_t(size_t, got, PAGE_SIZE - off);
			if (to_user)
				memcpy_to_page(pages[i], off, kbuf + done, part);
			else
				memcpy_from_page(kbuf + done, pages[i], off,
						 part);
			done += part;
			got -= part;
			off = 0;
		}
		if (to_user)
			unpin_user_pages_dirty_lock(pages, i, true);
		else
			unpin_user_pages(pages, i);
	}
	if (done == len)
		return done;
plain:
#endif
	if (to_user)
		return done + copy_to_iter(kbuf + done, len - done, user);
	return done + copy_from_iter(kbuf + done, len - done, user);
}

/* Whether @port may be opened; the caller holds its open_mutex. */
static int vser_open_check(struct vser_port *port)
{
	int err = 0;

	spin_lock_irq(&port->lock);
	if (port->unplugged || port->console)
		err = -ENXIO;
	else if (port->guest_connected)
		err = -EBUSY;
	spin_unlock_irq(&port->lock);
	if (err == -ENXIO && port->console)
		dev_warn_ratelimited(port->dev, "port %u is a console (/dev/hvcN when the kernel has hvc): open refused\n",
				     port->id);
	return err;
}

static int vser_open(struct inode *inode, struct file *file)
{
	struct vser_port *port = vser_port_get_by_devt(inode->i_rdev);
	int err;

	if (!port)
		return -ENXIO;
	/* Nothing else sets @guest_connected or @console meanwhile. */
	mutex_lock(&port->open_mutex);
	err = vser_open_check(port);
	if (err)
		goto put_port;
	err = vser_tx_alloc(port, false);
	if (err)
		goto put_port;
	/*
	 * Nothing received before the open belongs to this opener: drop it
	 * while the port still counts as closed, so that what the device
	 * filled and nobody has collected yet is dropped too.
	 */
	mutex_lock(&port->read_mutex);
	vser_rx_discard(port);
	/*
	 * The exchange hints describe an opener: start afresh.  Its first
	 * read follows no write of its own, so it does not poll.
	 */
	WRITE_ONCE(port->read_poll_ns, VSER_READ_POLL_START_NS);
	WRITE_ONCE(port->read_blocks, false);
	WRITE_ONCE(port->tx_after_rx, true);
	mutex_unlock(&port->read_mutex);
	spin_lock_irq(&port->lock);
	err = port->unplugged ? -ENXIO : 0;
	if (!err)
		port->guest_connected = true;
	spin_unlock_irq(&port->lock);
	if (err)
		goto put_port;

	file->private_data = port;
	stream_open(inode, file);
	trace_vser_port_open(port->vsdev->vdev->index, port->id);
	vser_ctrl_send(port->vsdev, port->id, VIRTIO_CONSOLE_PORT_OPEN, 1);
	mutex_unlock(&port->open_mutex);
	return 0;

put_port:
	mutex_unlock(&port->open_mutex);
	vser_port_put(port);
	return err;
}

static int vser_release(struct inode *inode, struct file *file)
{
	struct vser_port *port = file->private_data;
	bool unplugged;

	/* __fput() has removed the file from @async already (FASYNC). */
	mutex_lock(&port->open_mutex);
	spin_lock_irq(&port->lock);
	port->guest_connected = false;
	unplugged = port->unplugged;
	spin_unlock_irq(&port->lock);
	trace_vser_port_close(port->vsdev->vdev->index, port->id);

	if (!unplugged) {
		mutex_lock(&port->read_mutex);
		vser_rx_discard(port);
		mutex_unlock(&port->read_mutex);
		/* 1 MiB per port: not kept for ports nobody has open. */
		mutex_lock(&port->write_mutex);
		vser_tx_release(port);
		mutex_unlock(&port->write_mutex);
		vser_ctrl_send(port->vsdev, port->id,
			       VIRTIO_CONSOLE_PORT_OPEN, 0);
	}
	mutex_unlock(&port->open_mutex);
	vser_port_put(port);
	return 0;
}

static bool vser_rx_pending(struct vser_port *port)
{
	bool ret;

	spin_lock_irq(&port->rx_lock);
	ret = !list_empty(&port->rx_ready);
	spin_unlock_irq(&port->rx_lock);
	return ret;
}

/* Whether a reader can stop waiting: data, EOF or unplug. */
static bool vser_readable(struct vser_port *port)
{
	return vser_rx_pending(port) || READ_ONCE(port->unplugged) ||
	       !READ_ONCE(port->host_connected);
}

/*
 * The first ready buffer, after taking what the device has filled if
 * none is: see vser_rx_poll(), which also turns the receive interrupt
 * back on when nothing is left.  The caller holds rx_lock.
 */
static struct vser_buf *vser_rx_first(struct vser_port *port, bool *got)
	__must_hold(&port->rx_lock)
{
	if (!vser_rx_poll(port, got))
		return NULL;
	return list_first_entry(&port->rx_ready, struct vser_buf, list);
}

/*
 * Copy from the ready buffers to @to, giving each back to the device
 * once it is empty.  The caller holds read_mutex: only its holders take
 * buffers off rx_ready.  Return: bytes copied, 0 if nothing was ready,
 * or -EFAULT.
 */
static ssize_t vser_copy_out(struct vser_port *port, struct iov_iter *to)
{
	bool kick, got = false, more;
	unsigned int requeued = 0;
	struct vser_buf *buf;
	ssize_t copied = 0;
	size_t n;

	spin_lock_irq(&port->rx_lock);
	buf = vser_rx_first(port, &got);
	spin_unlock_irq(&port->rx_lock);
	if (!buf)
		return 0;
	do {
		n = vser_copy_user(buf->data + buf->off, buf->len - buf->off,
				   to);
		copied += n;
		kick = false;
		spin_lock_irq(&port->rx_lock);
		buf->off += n;
		if (buf->off == buf->len) {
			list_del_init(&buf->list);
			if (port->in_vq && !vser_buf_add_in(port->in_vq, buf))
				requeued++;
		}
		buf = vser_rx_first(port, &got);
		more = !!buf;
		if (!n || !iov_iter_count(to))
			buf = NULL;
		/* Keep the device fed during a long read, and at its end. */
		if (requeued && port->in_vq &&
		    (requeued >= VSER_RX_KICK_BATCH || !buf)) {
			kick = virtqueue_kick_prepare(port->in_vq);
			requeued = 0;
		}
		spin_unlock_irq(&port->rx_lock);
		/* read_mutex keeps the queue alive. */
		if (kick)
			virtqueue_notify(port->in_vq);
	} while (buf);
	/*
	 * With data left, the interrupt is off (only an empty rx_ready
	 * turns it on): wake other waiters for it.  Data this read
	 * collected itself and left unread raised no SIGIO (the interrupt
	 * for it, if one comes, finds nothing new): an opener that reads
	 * once per POLL_IN must still hear of it.
	 */
	if (more) {
		wake_up_interruptible(&port->rx_waitq);
		if (got)
			vser_port_notify(port, POLL_IN);
	}
	if (copied)
		WRITE_ONCE(port->tx_after_rx, true);
	return copied ? copied : -EFAULT;
}

static unsigned int read_poll_us = VSER_READ_POLL_US;

static int vser_read_poll_us_set(const char *val,
				 const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, VSER_READ_POLL_MAX_US);
}

static const struct kernel_param_ops vser_read_poll_us_ops = {
	.set = vser_read_poll_us_set,
	.get = param_get_uint,
};
module_param_cb(read_poll_us, &vser_read_poll_us_ops, &read_poll_us, 0644);
MODULE_PARM_DESC(read_poll_us,
		 "longest a blocking read that follows a write polls for the answer before it sleeps, in microseconds (default 200, at most 1000; 0: never)");

/*
 * The limit on polling for this read, in ns; 0 if it must not poll.  A
 * blocking read that follows a write is likely waiting for the answer
 * to it (see vser_rx_busy_poll()); reads in a stream, and non-blocking
 * ones, do not poll.
 */
static u64 vser_read_poll_limit(struct vser_port *port, bool nonblock)
{
	if (nonblock || READ_ONCE(port->tx_after_rx))
		return 0;
	return (u64)READ_ONCE(read_poll_us) * NSEC_PER_USEC;
}

/*
 * Whether the read that follows a write on @port will poll (a hint: the
 * port's last read was a blocking one, and its window is open).
 */
static bool vser_read_will_poll(struct vser_port *port)
{
	return READ_ONCE(port->read_blocks) && READ_ONCE(read_poll_us) &&
	       READ_ONCE(port->read_poll_ns);
}

/*
 * Adapt the port's poll window to a read that polled for up to @win ns
 * and got its data @waited ns after it began to, as cpuidle-haltpoll
 * adapts its window to idle periods.  Data the poll found, or data that
 * came within the window after a poll cut short, leaves the window
 * alone; data that came after the window but within @limit doubles it
 * (up to @limit); data later than @limit halves it, down to none.  So a
 * host that answers within the limit is polled for, and one that answers
 * slowly soon costs a read no polling, while its answers still decide
 * whether polling would pay again.
 */
static void vser_read_poll_adapt(struct vser_port *port, u64 win, u64 limit,
				 u64 waited, bool hit)
{
	lockdep_assert_held(&port->read_mutex);
	if (hit || waited <= win)
		return;
	if (waited <= limit)
		win = min(win ? 2 * win : VSER_READ_POLL_START_NS, limit);
	else if (win / 2 < VSER_READ_POLL_START_NS)
		win = 0;
	else
		win /= 2;
	WRITE_ONCE(port->read_poll_ns, win);
}

static ssize_t vser_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vser_port *port = iocb->ki_filp->private_data;
	bool nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	bool polled = false, hit = false;
	u64 limit, win = 0, start = 0;
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	if (mutex_lock_interruptible(&port->read_mutex))
		return -ERESTARTSYS;
	limit = vser_read_poll_limit(port, nonblock);
	WRITE_ONCE(port->read_blocks, !nonblock);
	for (;;) {
		if (READ_ONCE(port->unplugged)) {
			ret = -ENODEV;
			break;
		}
		ret = vser_copy_out(port, to);
		if (ret)
			break;
		if (!READ_ONCE(port->host_connected))
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		if (limit && !polled) {
			polled = true;
			win = min_t(u64, port->read_poll_ns, limit);
			start = ktime_get_ns();
			hit = win && vser_rx_busy_poll(port, win);
			if (hit)
				continue;
		}
		ret = wait_event_interruptible(port->rx_waitq,
					       vser_readable(port));
		if (ret)
			break;
	}
	if (polled && ret > 0)
		vser_read_poll_adapt(port, win, limit, ktime_get_ns() - start,
				     hit);
	mutex_unlock(&port->read_mutex);
	return ret;
}

/* A free slot the queue has room for, or NULL; caller holds tx_lock. */
static struct vser_txslot *vser_tx_find(struct vser_port *port)
	__must_hold(&port->tx_lock)
{
	unsigned int i;

	if (port->out_vq->num_free < port->tx_pages)
		return NULL;
	for (i = 0; i < port->tx_nslots; i++)
		if (!port->tx[i].busy)
			return &port->tx[i];
	return NULL;
}

/*
 * Reclaim finished slots, then look for room.  When there is none, turn
 * the transmit interrupt on (it stays off otherwise) and note that the
 * queue was found full; if the device completed buffers meanwhile
 * (virtqueue_enable_cb() says so), reclaim and look again, since no
 * interrupt will come for those.  A writer that reclaims clears
 * @tx_full: it has seen the room itself.
 */
VISIBLE_IF_KUNIT struct vser_txslot *vser_tx_room(struct vser_port *port)
	__must_hold(&port->tx_lock)
{
	struct vser_txslot *slot;

	if (!port->out_vq || !port->tx || !READ_ONCE(port->host_connected))
		return NULL;
	if (vser_tx_reclaim(port)) {
		port->tx_full = false;
		/*
		 * The interrupt will not come for what we took back: wake
		 * whoever waits for it (another thread's write or poll).
		 */
		if (port->tx_waiting) {
			port->tx_waiting = false;
			wake_up_interruptible(&port->tx_waitq);
		}
	}
	slot = vser_tx_find(port);
	if (slot)
		return slot;
	if (!port->tx_full)
		vser_stat_add(&port->stats.queue_full, 1);
	port->tx_full = true;
	port->tx_waiting = true;
	while (!virtqueue_enable_cb(port->out_vq)) {
		if (!vser_tx_reclaim(port))
			break;
		slot = vser_tx_find(port);
		if (slot) {
			port->tx_full = false;
			return slot;
		}
	}
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vser_tx_room);

/* A free transmit slot, marked busy, or NULL. */
static struct vser_txslot *vser_tx_get(struct vser_port *port)
{
	struct vser_txslot *slot;

	spin_lock_irq(&port->tx_lock);
	slot = vser_tx_room(port);
	if (slot)
		slot->busy = true;
	spin_unlock_irq(&port->tx_lock);
	return slot;
}

static bool vser_writable(struct vser_port *port)
{
	bool ret;

	if (READ_ONCE(port->unplugged))
		return true;
	spin_lock_irq(&port->tx_lock);
	ret = vser_tx_room(port);
	spin_unlock_irq(&port->tx_lock);
	return ret;
}

/*
 * Fill @slot from @from and queue it.  Return: bytes queued or a negative
 * errno; sets *kick when the device must be notified.
 */
static ssize_t vser_tx_send(struct vser_port *port, struct vser_txslot *slot,
			    struct iov_iter *from, bool *kick)
{
	unsigned int pages = READ_ONCE(port->tx_pages);
	struct scatterlist sg[VSER_TX_SLOT_PAGES];
	size_t total = 0, n, want;
	unsigned int nents = 0;
	bool alone = false;
	int err;

	if (slot->contig) {
		want = min_t(size_t, VSER_TX_SLOT_SIZE, iov_iter_count(from));
		total = vser_copy_user(page_address(slot->pages[0]), want,
				       from);
		if (!total)
			goto fault;
		sg_init_one(sg, page_address(slot->pages[0]), total);
		nents = 1;
		goto queue;
	}
	sg_init_table(sg, VSER_TX_SLOT_PAGES);
	while (nents < pages && iov_iter_count(from)) {
		want = min_t(size_t, PAGE_SIZE, iov_iter_count(from));
		n = copy_page_from_iter(slot->pages[nents], 0, want, from);
		if (!n)
			break;
		sg_set_page(&sg[nents], slot->pages[nents], n, 0);
		nents++;
		total += n;
		if (n < want)
			break;
	}
	if (!total)
		goto fault;
	sg_mark_end(&sg[nents - 1]);

queue:
	spin_lock_irq(&port->tx_lock);
	err = -ENODEV;
	if (port->out_vq) {
		alone = READ_ONCE(port->tx_after_rx) &&
			port->out_vq->num_free ==
			virtqueue_get_vring_size(port->out_vq);
		err = virtqueue_add_outbuf(port->out_vq, sg, nents, slot,
					   GFP_ATOMIC);
	}
	if (!err) {
		vser_stat_add(&port->stats.bytes_out, total);
		vser_stat_add(&port->stats.bufs_out, 1);
		if (virtqueue_kick_prepare(port->out_vq))
			*kick = true;
		/*
		 * A write that follows a read and finds nothing else in
		 * flight is likely a message in an exchange (a reply, or the
		 * next request), not part of a stream.  Unless the read that
		 * waits for the answer will poll, its completion interrupt
		 * is turned on: under QEMU the vCPU, woken by it
		 * while the host prepares its answer, takes that answer
		 * sooner than one halted since the write (see Performance in
		 * Documentation/virtio_serial.rst).  A stream keeps it off
		 * and reclaims as it writes.  vser_tx_intr() turns it off.
		 */
		if (alone && !vser_read_will_poll(port))
			virtqueue_enable_cb(port->out_vq);
		WRITE_ONCE(port->tx_after_rx, false);
	}
	if (err) {
		/* Our pages are not sent: rewind the iterator. */
		iov_iter_revert(from, total);
		slot->busy = false;
	}
	spin_unlock_irq(&port->tx_lock);
	return err ? err : total;

fault:
	err = -EFAULT;
	spin_lock_irq(&port->tx_lock);
	slot->busy = false;
	spin_unlock_irq(&port->tx_lock);
	return err;
}

/* No room: -EAGAIN, or kick what is queued and wait. */
static int vser_tx_wait(struct vser_port *port, bool nonblock, bool *kick)
{
	if (nonblock)
		return -EAGAIN;
	if (*kick) {
		virtqueue_notify(port->out_vq);
		*kick = false;
	}
	return wait_event_interruptible(port->tx_waitq, vser_writable(port));
}

static ssize_t vser_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vser_port *port = iocb->ki_filp->private_data;
	bool nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	struct vser_txslot *slot;
	ssize_t written = 0, ret = 0;
	bool kick = false;

	if (!iov_iter_count(from))
		return 0;
	if (mutex_lock_interruptible(&port->write_mutex))
		return -ERESTARTSYS;
	while (iov_iter_count(from)) {
		if (READ_ONCE(port->unplugged)) {
			ret = -ENODEV;
			break;
		}
		slot = vser_tx_get(port);
		/*
		 * -ENOSPC: the queue had less room than it said (indirect
		 * descriptors could not be allocated, say): it is full.
		 */
		ret = slot ? vser_tx_send(port, slot, from, &kick) : -ENOSPC;
		if (ret == -ENOSPC)
			ret = vser_tx_wait(port, nonblock, &kick);
		else if (ret > 0)
			written += ret;
		if (ret < 0)
			break;
	}
	/* write_mutex keeps out_vq alive until it is released. */
	if (kick)
		virtqueue_notify(port->out_vq);
	mutex_unlock(&port->write_mutex);
	return written ? written : ret;
}

static __poll_t vser_poll(struct file *file, poll_table *wait)
{
	struct vser_port *port = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &port->rx_waitq, wait);
	poll_wait(file, &port->tx_waitq, wait);
	if (READ_ONCE(port->unplugged))
		return EPOLLHUP | EPOLLERR;
	if (vser_rx_pending(port))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!READ_ONCE(port->host_connected))
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLHUP | EPOLLRDHUP;
	else if (vser_writable(port))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static int vser_fasync(int fd, struct file *file, int on)
{
	struct vser_port *port = file->private_data;

	return fasync_helper(fd, file, on, &port->async);
}

const struct file_operations vser_fops = {
	.owner = THIS_MODULE,
	.open = vser_open,
	.release = vser_release,
	.read_iter = vser_read_iter,
	.write_iter = vser_write_iter,
	.splice_write = iter_file_splice_write,
#ifdef VSER_HAVE_COPY_SPLICE_READ
	/* Through read_iter; without it splice() from a port is -EINVAL. */
	.splice_read = copy_splice_read,
#endif
	.poll = vser_poll,
	.fasync = vser_fasync,
};
