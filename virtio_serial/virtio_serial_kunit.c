// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of virtio_serial: its control-message checks, fed what a
 * hostile or broken device could send; and its transmit queue's room
 * bookkeeping, on a real split ring for which the test plays the device,
 * in interleavings that QEMU cannot be made to produce.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/string.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/wait.h>

#include "vser.h"

/* A control message as a little-endian device lays it out. */
static size_t mkmsg(u8 *buf, u32 id, u16 event, u16 value,
		    const void *payload, size_t plen)
{
	struct virtio_console_control cpkt = {
		.id = (__force __virtio32)cpu_to_le32(id),
		.event = (__force __virtio16)cpu_to_le16(event),
		.value = (__force __virtio16)cpu_to_le16(value),
	};

	memcpy(buf, &cpkt, sizeof(cpkt));
	if (plen)
		memcpy(buf + sizeof(cpkt), payload, plen);
	return sizeof(cpkt) + plen;
}

static void vser_test_short_header(struct kunit *test)
{
	struct vser_ctrl_msg msg;
	const char *why = NULL;
	u8 buf[16];
	size_t len = mkmsg(buf, 1, VIRTIO_CONSOLE_PORT_ADD, 0, NULL, 0);
	size_t i;

	for (i = 0; i < len; i++)
		KUNIT_EXPECT_EQ(test, -EINVAL,
				vser_ctrl_parse(buf, i, true, &msg, &why));
	KUNIT_EXPECT_STREQ(test, "message shorter than its header", why);
	KUNIT_EXPECT_EQ(test, 0, vser_ctrl_parse(buf, len, true, &msg, &why));
	KUNIT_EXPECT_EQ(test, 1, msg.id);
	KUNIT_EXPECT_EQ(test, VIRTIO_CONSOLE_PORT_ADD, msg.event);
}

static void vser_test_events(struct kunit *test)
{
	struct vser_ctrl_msg msg;
	const char *why;
	u8 buf[16];
	size_t len;

	len = mkmsg(buf, 0, VIRTIO_CONSOLE_DEVICE_READY, 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, len, true, &msg, &why));
	len = mkmsg(buf, 0, VIRTIO_CONSOLE_PORT_READY, 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, len, true, &msg, &why));
	len = mkmsg(buf, 0, 8, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, len, true, &msg, &why));
	KUNIT_EXPECT_STREQ(test, "unknown event", why);
	len = mkmsg(buf, 0, 0xffff, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, len, true, &msg, &why));
	len = mkmsg(buf, 3, VIRTIO_CONSOLE_PORT_OPEN, 2, NULL, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, len, true, &msg, &why));
	len = mkmsg(buf, 3, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, 0, vser_ctrl_parse(buf, len, true, &msg, &why));
	KUNIT_EXPECT_EQ(test, 1, msg.value);
	len = mkmsg(buf, 3, VIRTIO_CONSOLE_PORT_REMOVE, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, 0, vser_ctrl_parse(buf, len, true, &msg, &why));
	len = mkmsg(buf, 3, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, 0, vser_ctrl_parse(buf, len, true, &msg, &why));
}

static void vser_test_big_endian(struct kunit *test)
{
	u8 buf[8] = { 0, 0, 0, 5, 0, VIRTIO_CONSOLE_PORT_OPEN, 0, 1 };
	struct vser_ctrl_msg msg;
	const char *why;

	KUNIT_ASSERT_EQ(test, 0, vser_ctrl_parse(buf, 8, false, &msg, &why));
	KUNIT_EXPECT_EQ(test, 5, msg.id);
	KUNIT_EXPECT_EQ(test, VIRTIO_CONSOLE_PORT_OPEN, msg.event);
	KUNIT_EXPECT_EQ(test, 1, msg.value);
}

static void vser_test_resize(struct kunit *test)
{
	__le16 size[2] = { cpu_to_le16(132), cpu_to_le16(43) };
	struct vser_ctrl_msg msg;
	const char *why;
	u8 buf[16];
	size_t len;

	len = mkmsg(buf, 0, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
	KUNIT_ASSERT_EQ(test, 0, vser_ctrl_parse(buf, len, true, &msg, &why));
	KUNIT_EXPECT_EQ(test, 132, msg.cols);
	KUNIT_EXPECT_EQ(test, 43, msg.rows);
	/* Header only, or half a payload: refused. */
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, 8, true, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, 10, true, &msg, &why));
	KUNIT_EXPECT_STREQ(test, "RESIZE shorter than its payload", why);
}

/* The payload is cols then rows (VIRTIO 5.3.6.2), in the device's order. */
static void vser_test_resize_big_endian(struct kunit *test)
{
	u8 buf[12] = { 0, 0, 0, 0, 0, VIRTIO_CONSOLE_RESIZE, 0, 0,
		       0, 80, 0, 25 };
	struct vser_ctrl_msg msg;
	const char *why;

	KUNIT_ASSERT_EQ(test, 0, vser_ctrl_parse(buf, 12, false, &msg, &why));
	KUNIT_EXPECT_EQ(test, 80, msg.cols);
	KUNIT_EXPECT_EQ(test, 25, msg.rows);
	/* The same bytes read little-endian: 20480 columns, refused. */
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, 12, true, &msg, &why));
}

/* Sizes a device must not send: zero, or more than VSER_CON_MAX_DIM. */
static void vser_test_resize_bounds(struct kunit *test)
{
	static const u16 bad[][2] = {
		{ 0, 0 }, { 0, 25 }, { 80, 0 },
		{ VSER_CON_MAX_DIM + 1, 25 }, { 80, VSER_CON_MAX_DIM + 1 },
		{ 0xffff, 0xffff },
	};
	static const u16 good[][2] = {
		{ 1, 1 }, { 80, 25 }, { VSER_CON_MAX_DIM, VSER_CON_MAX_DIM },
	};
	struct vser_ctrl_msg msg;
	__le16 size[2];
	const char *why;
	u8 buf[16];
	size_t len, i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		size[0] = cpu_to_le16(bad[i][0]);
		size[1] = cpu_to_le16(bad[i][1]);
		len = mkmsg(buf, 0, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
		why = NULL;
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    vser_ctrl_parse(buf, len, true, &msg, &why),
				    "%ux%u", bad[i][0], bad[i][1]);
		KUNIT_EXPECT_NOT_NULL(test, why);
		KUNIT_EXPECT_EQ(test, -EINVAL,
				vser_resize_check(bad[i][0], bad[i][1], &why));
	}
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_resize_check(0, 0, &why));
	KUNIT_EXPECT_STREQ(test, "console size with zero columns or rows", why);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_resize_check(5000, 10, &why));
	KUNIT_EXPECT_STREQ(test, "console size larger than 4096 columns or rows",
			   why);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		size[0] = cpu_to_le16(good[i][0]);
		size[1] = cpu_to_le16(good[i][1]);
		len = mkmsg(buf, 7, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
		KUNIT_ASSERT_EQ(test, 0,
				vser_ctrl_parse(buf, len, true, &msg, &why));
		KUNIT_EXPECT_EQ(test, 7, msg.id);
		KUNIT_EXPECT_EQ(test, good[i][0], msg.cols);
		KUNIT_EXPECT_EQ(test, good[i][1], msg.rows);
		KUNIT_EXPECT_EQ(test, 0,
				vser_resize_check(good[i][0], good[i][1], &why));
	}
	/* Trailing bytes after the payload are ignored, as for any event. */
	size[0] = cpu_to_le16(100);
	size[1] = cpu_to_le16(30);
	len = mkmsg(buf, 1, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
	KUNIT_EXPECT_EQ(test, 0, vser_ctrl_parse(buf, len + 4, true, &msg, &why));
	KUNIT_EXPECT_EQ(test, 100, msg.cols);
	KUNIT_EXPECT_EQ(test, 30, msg.rows);
}

static int parse_name(const void *name, size_t nlen, struct vser_ctrl_msg *msg,
		      const char **why)
{
	static u8 buf[8 + PAGE_SIZE + 8];

	return vser_ctrl_parse(buf, mkmsg(buf, 1, VIRTIO_CONSOLE_PORT_NAME, 1,
					  name, nlen), true, msg, why);
}

static void vser_test_names(struct kunit *test)
{
	struct vser_ctrl_msg msg;
	const char *why;
	char *big;

	KUNIT_ASSERT_EQ(test, 0, parse_name("org.example.0", 14, &msg, &why));
	KUNIT_EXPECT_EQ(test, 13, msg.name_len);
	KUNIT_EXPECT_EQ(test, 0, memcmp(msg.name, "org.example.0", 13));
	/* Without the NUL, too. */
	KUNIT_EXPECT_EQ(test, 0, parse_name("org.example.0", 13, &msg, &why));
	KUNIT_EXPECT_EQ(test, 13, msg.name_len);
	/* A NUL inside ends the name. */
	KUNIT_EXPECT_EQ(test, 0, parse_name("ab\0cd", 5, &msg, &why));
	KUNIT_EXPECT_EQ(test, 2, msg.name_len);

	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("", 0, &msg, &why));
	KUNIT_EXPECT_STREQ(test, "empty name", why);
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("\0abc", 4, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a/b", 3, &msg, &why));
	KUNIT_EXPECT_STREQ(test, "name has a byte outside [A-Za-z0-9._:@+-]",
			   why);
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a\nb", 3, &msg, &why));
	/* Whitespace splits a udev SYMLINK; quotes and the like are odd. */
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a b", 3, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a\tb", 3, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a\"b", 3, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a$b", 3, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a\xc3\xa9", 3, &msg, &why));
	KUNIT_EXPECT_EQ(test, 0, parse_name("org.qemu-guest_agent:0@x+1", 26,
					    &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("a\x7f", 2, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name(".", 1, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name("..", 2, &msg, &why));
	KUNIT_EXPECT_EQ(test, 0, parse_name("...", 3, &msg, &why));

	big = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, big);
	memset(big, 'x', PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, 0, parse_name(big, VSER_NAME_MAX, &msg, &why));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			parse_name(big, VSER_NAME_MAX + 1, &msg, &why));
	KUNIT_EXPECT_STREQ(test, "name too long", why);
	KUNIT_EXPECT_EQ(test, -EINVAL, parse_name(big, PAGE_SIZE, &msg, &why));
}

static void vser_test_ids(struct kunit *test)
{
	struct vser_ctrl_msg msg = { .event = VIRTIO_CONSOLE_PORT_ADD };
	const char *why;

	msg.id = 4;
	KUNIT_EXPECT_EQ(test, -ERANGE, vser_ctrl_check_id(&msg, 4, false, &why));
	msg.id = VIRTIO_CONSOLE_BAD_ID;
	KUNIT_EXPECT_EQ(test, -ERANGE, vser_ctrl_check_id(&msg, 4, false, &why));
	msg.id = 3;
	KUNIT_EXPECT_EQ(test, 0, vser_ctrl_check_id(&msg, 4, false, &why));
	KUNIT_EXPECT_EQ(test, -EEXIST, vser_ctrl_check_id(&msg, 4, true, &why));

	msg.event = VIRTIO_CONSOLE_PORT_REMOVE;
	KUNIT_EXPECT_EQ(test, -ENOENT, vser_ctrl_check_id(&msg, 4, false, &why));
	KUNIT_EXPECT_EQ(test, 0, vser_ctrl_check_id(&msg, 4, true, &why));
	msg.event = VIRTIO_CONSOLE_PORT_OPEN;
	KUNIT_EXPECT_EQ(test, -ENOENT, vser_ctrl_check_id(&msg, 4, false, &why));
	msg.event = VIRTIO_CONSOLE_PORT_NAME;
	msg.id = 100;
	KUNIT_EXPECT_EQ(test, -ERANGE, vser_ctrl_check_id(&msg, 4, true, &why));
	KUNIT_EXPECT_STREQ(test, "port id out of range", why);
}

/* A used length beyond the buffer is refused before anything is read. */
static void vser_test_used_len(struct kunit *test)
{
	struct vser_ctrl_msg msg;
	const char *why = NULL;
	u8 buf[16];

	mkmsg(buf, 1, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, VSER_CTRL_BUF_SIZE + 1,
						       true, &msg, &why));
	KUNIT_EXPECT_STREQ(test, "used length larger than the buffer", why);
	KUNIT_EXPECT_EQ(test, -EINVAL, vser_ctrl_parse(buf, UINT_MAX, true, &msg,
						       &why));
}

static enum vser_ctrl_action decide(u16 event, u32 id, bool exists,
				    bool announced, const char **why)
{
	struct vser_ctrl_msg msg = { .id = id, .event = event };

	*why = NULL;
	return vser_ctrl_decide(&msg, 4, exists, announced, why);
}

/* Port bookkeeping: what each event does to a port that is or is not. */
static void vser_test_decide(struct kunit *test)
{
	const char *why;

	KUNIT_EXPECT_EQ(test, VSER_CTRL_ADD,
			decide(VIRTIO_CONSOLE_PORT_ADD, 1, false, false, &why));
	/* A duplicate PORT_ADD is ignored ... */
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_PORT_ADD, 1, true, true, &why));
	KUNIT_EXPECT_STREQ(test, "PORT_ADD for an existing port", why);
	/* ... unless a reset came between: then the port is re-announced. */
	KUNIT_EXPECT_EQ(test, VSER_CTRL_REANNOUNCE,
			decide(VIRTIO_CONSOLE_PORT_ADD, 1, true, false, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_PORT_ADD, 4, false, false, &why));
	KUNIT_EXPECT_STREQ(test, "port id out of range", why);

	/* REMOVE (or anything else) of a port that does not exist. */
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_PORT_REMOVE, 2, false, false, &why));
	KUNIT_EXPECT_STREQ(test, "event for a port that does not exist", why);
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_PORT_OPEN, 2, false, false, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_PORT_NAME, 2, false, false, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_RESIZE, 2, false, false, &why));

	KUNIT_EXPECT_EQ(test, VSER_CTRL_REMOVE,
			decide(VIRTIO_CONSOLE_PORT_REMOVE, 2, true, true, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_OPEN,
			decide(VIRTIO_CONSOLE_PORT_OPEN, 2, true, true, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_NAME,
			decide(VIRTIO_CONSOLE_PORT_NAME, 2, true, true, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_CONSOLE,
			decide(VIRTIO_CONSOLE_CONSOLE_PORT, 0, true, true, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_RESIZE,
			decide(VIRTIO_CONSOLE_RESIZE, 0, true, true, &why));
	/* Events only a driver sends are never acted upon. */
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_PORT_READY, 2, true, true, &why));
	KUNIT_EXPECT_EQ(test, VSER_CTRL_IGNORE,
			decide(VIRTIO_CONSOLE_DEVICE_READY, 2, true, true, &why));
}

/* A port as the device's table holds it, without queues or device. */
static struct vser_port *fake_port(struct kunit *test)
{
	struct vser_port *port = kunit_kzalloc(test, sizeof(*port), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, port);
	port->id = 3;
	spin_lock_init(&port->lock);
	mutex_init(&port->open_mutex);
	return port;
}

/*
 * CONSOLE_PORT for a port a process has open is refused before anything
 * else is touched (the fake port has no device): hvc and the reader would
 * share its buffers.  An unplugged port is refused too.
 */
static void vser_test_console_open_port(struct kunit *test)
{
	struct vser_port *port = fake_port(test);

	port->guest_connected = true;
	KUNIT_EXPECT_EQ(test, -EBUSY, vser_port_make_console(port));
	KUNIT_EXPECT_FALSE(test, port->console);
	KUNIT_EXPECT_TRUE(test, port->guest_connected);
	KUNIT_EXPECT_NULL(test, port->hvc);
	/* The check runs under open_mutex, which it gives back. */
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&port->open_mutex));

	port = fake_port(test);
	port->unplugged = true;
	KUNIT_EXPECT_EQ(test, -ENODEV, vser_port_make_console(port));
	KUNIT_EXPECT_FALSE(test, port->console);
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&port->open_mutex));
}

static struct kunit_case vser_test_cases[] = {
	KUNIT_CASE(vser_test_short_header),
	KUNIT_CASE(vser_test_events),
	KUNIT_CASE(vser_test_big_endian),
	KUNIT_CASE(vser_test_resize),
	KUNIT_CASE(vser_test_resize_big_endian),
	KUNIT_CASE(vser_test_resize_bounds),
	KUNIT_CASE(vser_test_names),
	KUNIT_CASE(vser_test_ids),
	KUNIT_CASE(vser_test_used_len),
	KUNIT_CASE(vser_test_decide),
	KUNIT_CASE(vser_test_console_open_port),
	{}
};

static struct kunit_suite vser_test_suite = {
	.name = "virtio_serial",
	.test_cases = vser_test_cases,
};

/*
 * The transmit queue of port 1 (queue 5) on a split ring without event
 * index, so that the driver's interrupt switch is the available ring's
 * VRING_AVAIL_F_NO_INTERRUPT flag, which the test reads as the device
 * would.
 */
#define TXQ_PORT	1
#define TXQ_INDEX	(2 * (TXQ_PORT + 1) + 1)
#define TXQ_NUM		64

struct fake_txq {
	struct virtio_device vdev;
	struct vser_device vsdev;
	struct vser_port *ports[TXQ_PORT + 1];
	struct vser_port port;
	struct virtqueue *vq;
	void *ring;
	u16 last_avail;
};

static bool fake_notify(struct virtqueue *vq)
{
	return true;
}

static int vser_tx_test_init(struct kunit *test)
{
	struct fake_txq *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct vser_port *port;

	KUNIT_ASSERT_NOT_NULL(test, f);
	port = &f->port;
	INIT_LIST_HEAD(&f->vdev.vqs);
	spin_lock_init(&f->vdev.vqs_list_lock);
	f->vdev.priv = &f->vsdev;
	f->vsdev.vdev = &f->vdev;
	spin_lock_init(&f->vsdev.ports_lock);
	f->vsdev.ports = f->ports;
	f->vsdev.max_ports = TXQ_PORT + 1;
	f->ports[TXQ_PORT] = port;
	port->vsdev = &f->vsdev;
	port->id = TXQ_PORT;
	spin_lock_init(&port->lock);
	spin_lock_init(&port->tx_lock);
	init_waitqueue_head(&port->tx_waitq);
	port->host_connected = true;
	test->priv = f;

	f->ring = alloc_pages_exact(vring_size(TXQ_NUM, PAGE_SIZE),
				    GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, f->ring);
	f->vq = vring_new_virtqueue(TXQ_INDEX, TXQ_NUM, PAGE_SIZE, &f->vdev,
				    true, false, f->ring, fake_notify,
				    vser_tx_intr, "fake-tx");
	KUNIT_ASSERT_NOT_NULL(test, f->vq);
	/* Ready, as virtio_device_ready() would leave it. */
	__virtio_unbreak_device(&f->vdev);
	KUNIT_ASSERT_EQ(test, 0, vser_tx_alloc(port, true));
	spin_lock_irq(&port->tx_lock);
	vser_tx_set_queue(port, f->vq);
	spin_unlock_irq(&port->tx_lock);
	return 0;
}

static void vser_tx_test_exit(struct kunit *test)
{
	struct fake_txq *f = test->priv;

	if (!f)
		return;
	if (f->vq)
		vring_del_virtqueue(f->vq);
	if (f->ring)
		free_pages_exact(f->ring, vring_size(TXQ_NUM, PAGE_SIZE));
	vser_tx_free(&f->port);
}

/* The device uses the next @n buffers made available.  Return: how many. */
static unsigned int fake_complete(struct fake_txq *f, unsigned int n)
{
	const struct vring *vr = virtqueue_get_vring(f->vq);
	u16 avail = virtio16_to_cpu(&f->vdev, READ_ONCE(vr->avail->idx));
	u16 used = virtio16_to_cpu(&f->vdev, vr->used->idx);
	unsigned int done = 0;
	u16 head;

	/* Read the entries only after the index that publishes them. */
	virt_rmb();
	for (; done < n && f->last_avail != avail; done++, f->last_avail++) {
		head = virtio16_to_cpu(&f->vdev,
				       vr->avail->ring[f->last_avail % vr->num]);
		vr->used->ring[used % vr->num].id = cpu_to_virtio32(&f->vdev,
								    head);
		vr->used->ring[used % vr->num].len = 0;
		used++;
	}
	/* The entries before the index that publishes them. */
	virt_wmb();
	vr->used->idx = cpu_to_virtio16(&f->vdev, used);
	return done;
}

/* Whether the driver asks the device for an interrupt on used buffers. */
static bool fake_intr_on(struct fake_txq *f)
{
	const struct vring *vr = virtqueue_get_vring(f->vq);

	return !(virtio16_to_cpu(&f->vdev, READ_ONCE(vr->avail->flags)) &
		 VRING_AVAIL_F_NO_INTERRUPT);
}

/*
 * A writer's turn, as vser_tx_get() and vser_tx_send() take it: queue a
 * slot while vser_tx_room() finds one.  Return: slots queued.
 */
static unsigned int fake_write(struct kunit *test, struct fake_txq *f)
{
	struct vser_port *port = &f->port;
	struct vser_txslot *slot;
	struct scatterlist sg;
	unsigned int n = 0;
	int err = 0;

	spin_lock_irq(&port->tx_lock);
	while (!err && (slot = vser_tx_room(port))) {
		slot->busy = true;
		sg_init_table(&sg, 1);
		sg_set_page(&sg, slot->pages[0], 64, 0);
		err = virtqueue_add_outbuf(f->vq, &sg, 1, slot, GFP_ATOMIC);
		n += !err;
	}
	spin_unlock_irq(&port->tx_lock);
	KUNIT_EXPECT_EQ(test, 0, err);
	return n;
}

/*
 * A writer that finds every slot in flight turns the transmit interrupt
 * on; the device then uses them all, but the writer takes them back and
 * fills the queue again before the interrupt's callback runs.  The late
 * callback finds nothing to take back: it must leave the interrupt on,
 * or the room that comes next is never reported (no POLL_OUT for an
 * O_NONBLOCK writer).
 */
static void vser_test_tx_late_callback(struct kunit *test)
{
	struct fake_txq *f = test->priv;
	struct vser_port *port = &f->port;

	/* A stream keeps the interrupt off while it finds room. */
	KUNIT_EXPECT_FALSE(test, fake_intr_on(f));
	KUNIT_EXPECT_EQ(test, VSER_TX_SLOTS, fake_write(test, f));
	KUNIT_EXPECT_TRUE(test, port->tx_full);
	KUNIT_EXPECT_TRUE(test, fake_intr_on(f));

	KUNIT_EXPECT_EQ(test, VSER_TX_SLOTS, fake_complete(f, TXQ_NUM));
	KUNIT_EXPECT_EQ(test, VSER_TX_SLOTS, fake_write(test, f));
	KUNIT_EXPECT_TRUE(test, port->tx_full);

	vser_tx_intr(f->vq);
	KUNIT_EXPECT_TRUE(test, port->tx_full);
	KUNIT_EXPECT_TRUE(test, fake_intr_on(f));

	/* Room comes: the callback takes it back and reports it. */
	KUNIT_EXPECT_EQ(test, 1, fake_complete(f, 1));
	vser_tx_intr(f->vq);
	KUNIT_EXPECT_FALSE(test, port->tx_full);
	KUNIT_EXPECT_FALSE(test, fake_intr_on(f));
	KUNIT_EXPECT_EQ(test, 1, fake_write(test, f));
}

struct fake_waiter {
	struct wait_queue_entry wq;
	bool woken;
};

static int fake_wake(struct wait_queue_entry *wq, unsigned int mode,
		     int flags, void *key)
{
	container_of(wq, struct fake_waiter, wq)->woken = true;
	return 0;
}

/*
 * A writer waits for room with the interrupt on.  Another thread's write
 * takes back what the device used before the interrupt comes, so none
 * will come for it: that writer must wake the waiting one.
 */
static void vser_test_tx_reclaim_wakes(struct kunit *test)
{
	struct fake_txq *f = test->priv;
	struct vser_port *port = &f->port;
	struct fake_waiter w = { };
	struct vser_txslot *slot;

	init_waitqueue_func_entry(&w.wq, fake_wake);
	KUNIT_EXPECT_EQ(test, VSER_TX_SLOTS, fake_write(test, f));
	KUNIT_EXPECT_TRUE(test, port->tx_waiting);
	add_wait_queue(&port->tx_waitq, &w.wq);

	KUNIT_EXPECT_EQ(test, 2, fake_complete(f, 2));
	spin_lock_irq(&port->tx_lock);
	slot = vser_tx_room(port);
	spin_unlock_irq(&port->tx_lock);
	remove_wait_queue(&port->tx_waitq, &w.wq);
	KUNIT_EXPECT_NOT_NULL(test, slot);
	KUNIT_EXPECT_TRUE(test, w.woken);
	KUNIT_EXPECT_FALSE(test, port->tx_waiting);
	KUNIT_EXPECT_FALSE(test, port->tx_full);
}

/* A host that is not connected gets nothing queued. */
static void vser_test_tx_host_gone(struct kunit *test)
{
	struct fake_txq *f = test->priv;

	f->port.host_connected = false;
	KUNIT_EXPECT_EQ(test, 0, fake_write(test, f));
	KUNIT_EXPECT_FALSE(test, f->port.tx_full);
	KUNIT_EXPECT_FALSE(test, fake_intr_on(f));
}

static struct kunit_case vser_tx_test_cases[] = {
	KUNIT_CASE(vser_test_tx_late_callback),
	KUNIT_CASE(vser_test_tx_reclaim_wakes),
	KUNIT_CASE(vser_test_tx_host_gone),
	{}
};

static struct kunit_suite vser_tx_test_suite = {
	.name = "virtio_serial_tx",
	.init = vser_tx_test_init,
	.exit = vser_tx_test_exit,
	.test_cases = vser_tx_test_cases,
};

kunit_test_suites(&vser_test_suite, &vser_tx_test_suite);

MODULE_DESCRIPTION("KUnit tests for virtio_serial's control-message checks and transmit queue");
MODULE_LICENSE("GPL");
MODULE_VERSION(PVGUEST_VERSION);
MODULE_INFO(test, "Y");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
