// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial: the control queues of a multiport device.
 *
 * The device is not trusted.  Every message is parsed and checked by the
 * pure functions vser_ctrl_parse(), vser_ctrl_check_id() and
 * vser_name_check() (tested by virtio_serial_kunit.c) before it is acted
 * upon; a rejected message is dropped with a rate-limited warning that
 * says what was wrong.  Messages are handled in a work item, at most
 * %VSER_CTRL_BUDGET per run, so a flood cannot monopolise a CPU.
 */
#include <kunit/visibility.h>
#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vser.h"

/* How long a control message may wait for room on the queue. */
#define VSER_CTRL_SEND_TIMEOUT	(5 * HZ)

static u16 vser_get16(const u8 *p, bool little_endian)
{
	__virtio16 v;

	memcpy(&v, p, sizeof(v));
	return __virtio16_to_cpu(little_endian, v);
}

/* The bytes a port name may hold: safe in a path and in a udev rule. */
static bool vser_name_char_ok(unsigned char c)
{
	return isalnum(c) || (c && strchr("._:@+-", c));
}

/**
 * vser_name_check() - check a port name from the device.
 * @name: the name, not NUL-terminated
 * @len:  its length in bytes
 * @why:  set to the reason when the name is refused
 *
 * A name becomes a file name under /dev/virtio-ports and a word of a udev
 * SYMLINK (which older udev splits on whitespace): it must be 1 to
 * %VSER_NAME_MAX bytes of [A-Za-z0-9._:@+-], and not "." or "..".
 *
 * Return: 0 if the name is acceptable, -EINVAL otherwise.
 */
int vser_name_check(const char *name, size_t len, const char **why)
{
	size_t i;

	if (!len) {
		*why = "empty name";
		return -EINVAL;
	}
	if (len > VSER_NAME_MAX) {
		*why = "name too long";
		return -EINVAL;
	}
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.')) {
		*why = "name is . or ..";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!vser_name_char_ok(name[i])) {
			*why = "name has a byte outside [A-Za-z0-9._:@+-]";
			return -EINVAL;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vser_name_check);

/**
 * vser_resize_check() - check a console size from the device.
 * @cols: columns
 * @rows: rows
 * @why:  set to the reason when the size is refused
 *
 * Used for RESIZE messages and for the F_SIZE config fields: both must
 * be 1 to %VSER_CON_MAX_DIM.  The payload is cols then rows, as VIRTIO
 * 5.3.6.2 (struct virtio_console_resize) lays it out.
 *
 * Return: 0 if the size is acceptable, -EINVAL otherwise.
 */
int vser_resize_check(u16 cols, u16 rows, const char **why)
{
	if (!cols || !rows) {
		*why = "console size with zero columns or rows";
		return -EINVAL;
	}
	if (cols > VSER_CON_MAX_DIM || rows > VSER_CON_MAX_DIM) {
		*why = "console size larger than 4096 columns or rows";
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vser_resize_check);

/**
 * vser_ctrl_parse() - parse and check one control message.
 * @buf:           the bytes the device wrote, in a %VSER_CTRL_BUF_SIZE
 *                 buffer
 * @len:           how many, as the device says (the used length)
 * @little_endian: the device's byte order (virtio_is_little_endian())
 * @msg:           the message, filled on success
 * @why:           set to the reason when the message is refused
 *
 * Checks what can be checked without the device's state: the used
 * length against the buffer and the header, the event, the value of
 * PORT_OPEN, the payload of RESIZE (vser_resize_check()) and PORT_NAME.
 * Events only a driver sends (DEVICE_READY, PORT_READY) are refused.
 *
 * Return: 0, or -EINVAL when the message must be dropped.
 */
int vser_ctrl_parse(const void *buf, size_t len, bool little_endian,
		    struct vser_ctrl_msg *msg, const char **why)
{
	struct virtio_console_control cpkt;
	const size_t hdr = sizeof(cpkt);
	const u8 *p = buf;

	memset(msg, 0, sizeof(*msg));
	if (len > VSER_CTRL_BUF_SIZE) {
		*why = "used length larger than the buffer";
		return -EINVAL;
	}
	if (len < hdr) {
		*why = "message shorter than its header";
		return -EINVAL;
	}
	memcpy(&cpkt, p, hdr);
	msg->id = __virtio32_to_cpu(little_endian, cpkt.id);
	msg->event = __virtio16_to_cpu(little_endian, cpkt.event);
	msg->value = __virtio16_to_cpu(little_endian, cpkt.value);

	switch (msg->event) {
	case VIRTIO_CONSOLE_PORT_ADD:
	case VIRTIO_CONSOLE_PORT_REMOVE:
	case VIRTIO_CONSOLE_CONSOLE_PORT:
		return 0;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (msg->value > 1) {
			*why = "PORT_OPEN value is neither 0 nor 1";
			return -EINVAL;
		}
		return 0;
	case VIRTIO_CONSOLE_RESIZE:
		if (len < hdr + 4) {
			*why = "RESIZE shorter than its payload";
			return -EINVAL;
		}
		msg->cols = vser_get16(p + hdr, little_endian);
		msg->rows = vser_get16(p + hdr + 2, little_endian);
		return vser_resize_check(msg->cols, msg->rows, why);
	case VIRTIO_CONSOLE_PORT_NAME:
		msg->name = (const char *)p + hdr;
		/* QEMU sends the terminating NUL; a name stops at the first. */
		msg->name_len = strnlen(msg->name, len - hdr);
		return vser_name_check(msg->name, msg->name_len, why);
	case VIRTIO_CONSOLE_DEVICE_READY:
	case VIRTIO_CONSOLE_PORT_READY:
		*why = "event only a driver sends";
		return -EINVAL;
	default:
		*why = "unknown event";
		return -EINVAL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vser_ctrl_parse);

/**
 * vser_ctrl_check_id() - check a parsed message's port id.
 * @msg:       a message vser_ctrl_parse() accepted
 * @max_ports: the number of ports the device announced
 * @exists:    whether a port with that id exists
 * @why:       set to the reason when the message is refused
 *
 * Return: 0; -ERANGE for an id out of range; -EEXIST for PORT_ADD of an
 * existing port (the caller decides: after a restore it is expected);
 * -ENOENT for any other event on a port that does not exist.
 */
int vser_ctrl_check_id(const struct vser_ctrl_msg *msg, u32 max_ports,
		       bool exists, const char **why)
{
	if (msg->id >= max_ports) {
		*why = "port id out of range";
		return -ERANGE;
	}
	if (msg->event == VIRTIO_CONSOLE_PORT_ADD) {
		if (exists) {
			*why = "PORT_ADD for an existing port";
			return -EEXIST;
		}
		return 0;
	}
	if (!exists) {
		*why = "event for a port that does not exist";
		return -ENOENT;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vser_ctrl_check_id);

/**
 * vser_ctrl_ack() - control transmit callback: free what the device used
 * and wake senders waiting for room.
 * @vq: the control transmit queue
 */
void vser_ctrl_ack(struct virtqueue *vq)
{
	struct vser_device *vsdev = vq->vdev->priv;
	unsigned long flags;
	unsigned int len;
	void *msg;

	spin_lock_irqsave(&vsdev->ctrl_lock, flags);
	while ((msg = virtqueue_get_buf(vq, &len))) {
		kfree(msg);
		vsdev->ctrl_room = true;
	}
	spin_unlock_irqrestore(&vsdev->ctrl_lock, flags);
	wake_up(&vsdev->ctrl_wait);
}

/**
 * vser_ctrl_intr() - control receive callback: defer to the work item.
 * @vq: the control receive queue
 */
void vser_ctrl_intr(struct virtqueue *vq)
{
	struct vser_device *vsdev = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&vsdev->ctrl_lock, flags);
	if (!vsdev->removed)
		schedule_work(&vsdev->ctrl_work);
	spin_unlock_irqrestore(&vsdev->ctrl_lock, flags);
}

/*
 * Try once to queue @cpkt; -ENOSPC when the queue is full, and then
 * @ctrl_room is clear until the device returns a buffer.  @vqs is only
 * looked at under ctrl_lock with @removed clear: remove and freeze set
 * @removed under that lock before they delete the queues.
 */
static int vser_ctrl_queue(struct vser_device *vsdev,
			   struct virtio_console_control *cpkt)
{
	struct virtqueue *vq;
	struct scatterlist sg;
	unsigned int len;
	void *used;
	int err;

	spin_lock_irq(&vsdev->ctrl_lock);
	if (vsdev->removed) {
		err = -ENODEV;
		goto unlock;
	}
	vq = vsdev->vqs[3];
	while ((used = virtqueue_get_buf(vq, &len)))
		kfree(used);
	sg_init_one(&sg, cpkt, sizeof(*cpkt));
	err = virtqueue_add_outbuf(vq, &sg, 1, cpkt, GFP_ATOMIC);
	if (!err) {
		vser_stat_add(&vsdev->stats.sent, 1);
		virtqueue_kick(vq);
	} else if (err == -ENOSPC) {
		vsdev->ctrl_room = false;
	}
unlock:
	spin_unlock_irq(&vsdev->ctrl_lock);
	return err;
}

/**
 * vser_ctrl_send() - send one control message to the device.
 * @vsdev: a multiport device
 * @id:    port id, or VIRTIO_CONSOLE_BAD_ID for device events
 * @event: VIRTIO_CONSOLE_* event
 * @value: its value
 *
 * May sleep: while the control queue is full it waits for the device for
 * at most %VSER_CTRL_SEND_TIMEOUT, never spinning.  The message buffer is
 * freed when the device returns it.
 *
 * Return: 0, -ENODEV once the device is gone, -ENOMEM, or -ETIMEDOUT.
 */
int vser_ctrl_send(struct vser_device *vsdev, u32 id, u16 event, u16 value)
{
	bool le = vsdev->little_endian;
	struct virtio_console_control *cpkt;
	long left = VSER_CTRL_SEND_TIMEOUT;
	int err;

	if (!vsdev->multiport)
		return 0;
	cpkt = kzalloc(sizeof(*cpkt), GFP_KERNEL);
	if (!cpkt) {
		atomic64_inc(&vsdev->stats.failed);
		return -ENOMEM;
	}
	cpkt->id = __cpu_to_virtio32(le, id);
	cpkt->event = __cpu_to_virtio16(le, event);
	cpkt->value = __cpu_to_virtio16(le, value);

	/* Both flags change under ctrl_lock; wake_up() orders the reads. */
	while ((err = vser_ctrl_queue(vsdev, cpkt)) == -ENOSPC && left > 0)
		left = wait_event_timeout(vsdev->ctrl_wait,
					  READ_ONCE(vsdev->ctrl_room) ||
					  READ_ONCE(vsdev->removed), left);
	if (err) {
		kfree(cpkt);
		if (err == -ENOSPC)
			err = -ETIMEDOUT;
		if (err != -ENODEV) {
			atomic64_inc(&vsdev->stats.failed);
			dev_warn_ratelimited(&vsdev->vdev->dev,
					     "control message %u for port %u not sent: %d\n",
					     event, id, err);
		}
	}
	return err;
}

/**
 * vser_ctrl_decide() - what to do with a parsed control message.
 * @msg:       a message vser_ctrl_parse() accepted
 * @max_ports: the number of ports the device announced
 * @exists:    a port with @msg's id exists
 * @announced: that port was announced to the device (PORT_READY) since
 *             the last reset
 * @why:       set to the reason when the message is ignored
 *
 * The port bookkeeping, as a pure function.  A PORT_ADD for an existing
 * port is expected after a reset (restore) and answered as for a new
 * port; a second PORT_ADD without a reset between is ignored.
 *
 * Return: a &enum vser_ctrl_action; %VSER_CTRL_IGNORE with @why set when
 * the message must be dropped.
 */
enum vser_ctrl_action vser_ctrl_decide(const struct vser_ctrl_msg *msg,
				       u32 max_ports, bool exists,
				       bool announced, const char **why)
{
	int err = vser_ctrl_check_id(msg, max_ports, exists, why);

	if (err == -EEXIST && !announced)
		return VSER_CTRL_REANNOUNCE;
	if (err)
		return VSER_CTRL_IGNORE;
	switch (msg->event) {
	case VIRTIO_CONSOLE_PORT_ADD:
		return VSER_CTRL_ADD;
	case VIRTIO_CONSOLE_PORT_REMOVE:
		return VSER_CTRL_REMOVE;
	case VIRTIO_CONSOLE_CONSOLE_PORT:
		return VSER_CTRL_CONSOLE;
	case VIRTIO_CONSOLE_RESIZE:
		return VSER_CTRL_RESIZE;
	case VIRTIO_CONSOLE_PORT_OPEN:
		return VSER_CTRL_OPEN;
	case VIRTIO_CONSOLE_PORT_NAME:
		return VSER_CTRL_NAME;
	}
	*why = "unknown event";
	return VSER_CTRL_IGNORE;
}
EXPORT_SYMBOL_IF_KUNIT(vser_ctrl_decide);

/* After a reset: tell the device again which ports are ready and open. */
static void vser_ctrl_reannounce(struct vser_port *port)
{
	port->announced = true;
	vser_ctrl_send(port->vsdev, port->id, VIRTIO_CONSOLE_PORT_READY, 1);
	if (READ_ONCE(port->guest_connected))
		vser_ctrl_send(port->vsdev, port->id,
			       VIRTIO_CONSOLE_PORT_OPEN, 1);
}

static void vser_ctrl_handle(struct vser_device *vsdev,
			     struct vser_ctrl_msg *msg)
{
	struct device *dev = &vsdev->vdev->dev;
	struct vser_port *port;
	const char *why;

	port = vser_port_lookup(vsdev, msg->id);
	switch (vser_ctrl_decide(msg, vsdev->max_ports, port,
				 port && port->announced, &why)) {
	case VSER_CTRL_IGNORE:
		vser_stat_add(&vsdev->stats.rejected, 1);
		dev_warn_ratelimited(dev, "control event %u, port %u: %s; ignored\n",
				     msg->event, msg->id, why);
		break;
	case VSER_CTRL_ADD:
		vser_port_add(vsdev, msg->id, false);
		break;
	case VSER_CTRL_REANNOUNCE:
		vser_ctrl_reannounce(port);
		break;
	case VSER_CTRL_REMOVE:
		vser_port_unplug(port, false);
		break;
	case VSER_CTRL_CONSOLE:
		vser_port_make_console(port);
		break;
	case VSER_CTRL_RESIZE:
		vser_hvc_resize(port, msg->cols, msg->rows);
		break;
	case VSER_CTRL_OPEN:
		vser_port_set_host(port, msg->value);
		break;
	case VSER_CTRL_NAME:
		vser_port_set_name(port, msg->name, msg->name_len);
		break;
	}
}

/*
 * Take the messages the device has written, check each, keep a copy of
 * the good ones in @ctrl_items, and give every buffer straight back:
 * QEMU drops a control message when it finds no free buffer, announces
 * all its ports at once, and answers each PORT_READY with up to three
 * messages.  Takes at most *@budget buffers.
 */
static void vser_ctrl_collect(struct vser_device *vsdev,
			      struct virtqueue *vq, unsigned int *budget)
	__must_hold(&vsdev->ctrl_mutex)
{
	struct vser_ctrl_item *item;
	struct vser_buf *buf;
	bool added = false;
	const char *why;
	unsigned int len;

	while (*budget && vsdev->ctrl_count < VSER_CTRL_BUDGET &&
	       (buf = virtqueue_get_buf(vq, &len))) {
		(*budget)--;
		vser_stat_add(&vsdev->stats.received, 1);
		item = &vsdev->ctrl_items[(vsdev->ctrl_head + vsdev->ctrl_count) %
					  VSER_CTRL_BUDGET];
		if (vser_ctrl_parse(buf->data, len, vsdev->little_endian,
				    &item->msg, &why)) {
			vser_stat_add(&vsdev->stats.rejected, 1);
			dev_warn_ratelimited(&vsdev->vdev->dev,
					     "control message of %u bytes: %s; dropped\n",
					     len, why);
		} else {
			if (item->msg.name) {
				memcpy(item->name, item->msg.name,
				       item->msg.name_len);
				item->msg.name = item->name;
			}
			vsdev->ctrl_count++;
		}
		/*
		 * Hand the page back all zero, so that a later message can
		 * never pick up bytes of this one (a name, say) beyond what
		 * the device writes then.
		 */
		memset(buf->data, 0, min_t(size_t, len, VSER_CTRL_BUF_SIZE));
		if (vser_buf_add_in(vq, buf))
			dev_warn_ratelimited(&vsdev->vdev->dev,
					     "control buffer lost\n");
		else
			added = true;
	}
	if (added)
		virtqueue_kick(vq);
}

/**
 * vser_ctrl_work() - handle the control messages the device has sent.
 * @work: &vser_device.ctrl_work
 *
 * Handles at most %VSER_CTRL_BUDGET messages per run, then yields.
 * Before each message it collects what has arrived meanwhile, so that
 * the device always finds free buffers for its answers.
 */
void vser_ctrl_work(struct work_struct *work)
{
	struct vser_device *vsdev = container_of(work, struct vser_device,
						 ctrl_work);
	unsigned int budget = VSER_CTRL_BUDGET;
	struct vser_ctrl_item *item;
	struct virtqueue *vq;

	mutex_lock(&vsdev->ctrl_mutex);
	/* Remove and freeze cancel this work before they delete the queues. */
	vq = vsdev->vqs ? vsdev->vqs[2] : NULL;
	while (vq && !READ_ONCE(vsdev->removed)) {
		vser_ctrl_collect(vsdev, vq, &budget);
		if (!vsdev->ctrl_count)
			break;
		item = &vsdev->ctrl_items[vsdev->ctrl_head];
		vsdev->ctrl_head = (vsdev->ctrl_head + 1) % VSER_CTRL_BUDGET;
		vsdev->ctrl_count--;
		vser_ctrl_handle(vsdev, &item->msg);
	}
	/* Budget spent: let others run, then carry on. */
	if (vq && !READ_ONCE(vsdev->removed) && !budget)
		schedule_work(&vsdev->ctrl_work);
	mutex_unlock(&vsdev->ctrl_mutex);
}
