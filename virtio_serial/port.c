// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial: port lifetime, character devices and sysfs.
 *
 * A port is created on PORT_ADD (or at probe without multiport) and
 * unplugged on PORT_REMOVE or device removal.  Unplugging makes it
 * unreachable (device table, dev_t map, char device, class device), marks
 * it unplugged, wakes everyone, takes its buffers back and drops the
 * device's reference; open files keep the memory until they are closed.
 */
#include <kunit/visibility.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/xarray.h>

#include "vser.h"
#include "trace.h"

/* dev_t -> port, for open(); holds no reference of its own. */
static DEFINE_XARRAY_FLAGS(vser_devt_map, XA_FLAGS_LOCK_IRQ);

static void vser_device_release(struct kref *kref)
{
	struct vser_device *vsdev = container_of(kref, struct vser_device,
						 kref);

	put_device(&vsdev->vdev->dev);
	kfree(vsdev->parked);
	kfree(vsdev->ctrl_items);
	kfree(vsdev->ports);
	kfree(vsdev);
}

/**
 * vser_device_put() - drop a reference to a device.
 * @vsdev: the device
 */
void vser_device_put(struct vser_device *vsdev)
{
	kref_put(&vsdev->kref, vser_device_release);
}

static void vser_port_release(struct kref *kref)
{
	struct vser_port *port = container_of(kref, struct vser_port, kref);
	struct vser_device *vsdev = port->vsdev;

	vser_tx_free(port);
	kfree(port->name);
	kfree(port);
	vser_device_put(vsdev);
}

/**
 * vser_port_put() - drop a reference to a port.
 * @port: the port
 */
void vser_port_put(struct vser_port *port)
{
	kref_put(&port->kref, vser_port_release);
}

/**
 * vser_port_get_by_devt() - find the port of a character device.
 * @devt: the device number being opened
 *
 * Return: the port with a reference held, or NULL once it is unplugged.
 */
struct vser_port *vser_port_get_by_devt(dev_t devt)
{
	struct vser_port *port;

	xa_lock_irq(&vser_devt_map);
	port = xa_load(&vser_devt_map, devt);
	if (port)
		kref_get(&port->kref);
	xa_unlock_irq(&vser_devt_map);
	return port;
}

/**
 * vser_port_lookup() - the port with a given id.
 * @vsdev: the device; the caller holds its ctrl_mutex, which keeps the
 *         result alive
 * @id:    any value from the device
 *
 * Return: the port, or NULL.
 */
struct vser_port *vser_port_lookup(struct vser_device *vsdev, u32 id)
{
	struct vser_port *port = NULL;

	lockdep_assert_held(&vsdev->ctrl_mutex);
	spin_lock_irq(&vsdev->ports_lock);
	if (id < vsdev->max_ports)
		port = vsdev->ports[id];
	spin_unlock_irq(&vsdev->ports_lock);
	return port;
}

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct vser_port *port = dev_get_drvdata(dev);
	ssize_t ret = 0;

	spin_lock_irq(&port->lock);
	if (port->name)
		ret = sysfs_emit(buf, "%s\n", port->name);
	spin_unlock_irq(&port->lock);
	return ret;
}
static DEVICE_ATTR_RO(name);

static ssize_t host_connected_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct vser_port *port = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(port->host_connected));
}
static DEVICE_ATTR_RO(host_connected);

static struct attribute *vser_port_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_host_connected.attr,
	NULL,
};

static const struct attribute_group vser_port_group = {
	.attrs = vser_port_attrs,
};

const struct attribute_group *vser_port_groups[] = {
	&vser_port_group,
	NULL,
};

/* The host_connected change uevent, merged (see vser_port_set_host()). */
static void vser_port_host_uevent(struct work_struct *work)
{
	struct vser_port *port = container_of(to_delayed_work(work),
					      struct vser_port, host_uevent);

	kobject_uevent(&port->dev->kobj, KOBJ_CHANGE);
}

static struct vser_port *vser_port_alloc(struct vser_device *vsdev, u32 id)
{
	struct vser_port *port = kzalloc(sizeof(*port), GFP_KERNEL);
	unsigned int rx = id ? 2 * (id + 1) : 0;

	if (!port)
		return NULL;
	kref_init(&port->kref);
	kref_get(&vsdev->kref);
	port->vsdev = vsdev;
	port->id = id;
	port->in_vq = vsdev->vqs[rx];
	spin_lock_init(&port->lock);
	spin_lock_init(&port->rx_lock);
	spin_lock_init(&port->tx_lock);
	INIT_LIST_HEAD(&port->rx_ready);
	INIT_WORK(&port->rx_work, vser_rx_work);
	mutex_init(&port->open_mutex);
	mutex_init(&port->read_mutex);
	mutex_init(&port->write_mutex);
	init_waitqueue_head(&port->rx_waitq);
	init_waitqueue_head(&port->tx_waitq);
	INIT_DELAYED_WORK(&port->host_uevent, vser_port_host_uevent);
	spin_lock_irq(&port->tx_lock);
	vser_tx_set_queue(port, vsdev->vqs[rx + 1]);
	spin_unlock_irq(&port->tx_lock);
	return port;
}

/*
 * A new port with the id of a removed one takes over the buffers the old
 * one left on the (never reset) queues, so that none is lost or freed.
 */
static void vser_port_adopt(struct vser_port *port)
{
	struct vser_parked *parked = port->vsdev->parked[port->id];

	if (!parked)
		return;
	port->vsdev->parked[port->id] = NULL;
	memcpy(port->rx_bufs, parked->rx, sizeof(port->rx_bufs));
	spin_lock_irq(&port->tx_lock);
	port->tx = parked->tx;
	spin_unlock_irq(&port->tx_lock);
	kfree(parked);
}

/**
 * vser_parked_free() - free what removed ports left on their queues.
 * @vsdev: the device, reset; the caller holds its ctrl_mutex
 *
 * Detaches the buffers from the queues first, which frees the indirect
 * descriptor tables the ring allocated for them.
 */
void vser_parked_free(struct vser_device *vsdev)
{
	struct vser_parked *parked;
	unsigned int i, rx;
	u32 id;

	for (id = 0; id < vsdev->max_ports; id++) {
		parked = vsdev->parked[id];
		if (!parked)
			continue;
		vsdev->parked[id] = NULL;
		rx = id ? 2 * (id + 1) : 0;
		while (vsdev->vqs && virtqueue_detach_unused_buf(vsdev->vqs[rx]))
			;
		while (vsdev->vqs &&
		       virtqueue_detach_unused_buf(vsdev->vqs[rx + 1]))
			;
		for (i = 0; i < VSER_RX_BUFS; i++)
			vser_buf_free(parked->rx[i]);
		vser_tx_slots_free(parked->tx);
		kfree(parked);
	}
}

/*
 * PORT_REMOVE: the device has not reset the port's queues and may still
 * write into its receive buffers or read its transmit slots.  Free only
 * what is off the queues (unread data), and park the rest for a reset or
 * for a new port with the same id.  Without memory to park them, the
 * buffers are leaked rather than freed under the device.
 */
static void vser_port_park(struct vser_port *port)
{
	struct vser_parked *parked = kzalloc(sizeof(*parked), GFP_KERNEL);
	struct vser_device *vsdev = port->vsdev;
	struct vser_buf *buf;
	unsigned int i;

	mutex_lock(&port->read_mutex);
	spin_lock_irq(&port->rx_lock);
	port->in_vq = NULL;
	spin_unlock_irq(&port->rx_lock);
	vser_rx_stop(port);
	for (i = 0; i < VSER_RX_BUFS; i++) {
		buf = port->rx_bufs[i];
		port->rx_bufs[i] = NULL;
		/* On the rx_ready list: filled, so off the queue. */
		if (buf && !list_empty(&buf->list))
			vser_buf_free(buf);
		else if (parked)
			parked->rx[i] = buf;
	}
	INIT_LIST_HEAD(&port->rx_ready);
	mutex_unlock(&port->read_mutex);

	mutex_lock(&port->write_mutex);
	spin_lock_irq(&port->tx_lock);
	port->out_vq = NULL;
	if (parked)
		parked->tx = port->tx;
	/* Parked, or leaked: the device may still read the slots. */
	port->tx = NULL;
	spin_unlock_irq(&port->tx_lock);
	mutex_unlock(&port->write_mutex);

	if (!parked) {
		dev_warn(&vsdev->vdev->dev, "port %u: buffers leaked after removal\n",
			 port->id);
		return;
	}
	vsdev->parked[port->id] = parked;
}

/*
 * Undo what vser_port_add() did before the port became reachable: clear
 * its queue pointers and mark it unplugged, so that nothing touches the
 * device's queues through it, then drop the table's reference.
 */
static void vser_port_discard(struct vser_port *port)
{
	struct vser_device *vsdev = port->vsdev;

	spin_lock_irq(&vsdev->ports_lock);
	if (vsdev->ports[port->id] == port)
		vsdev->ports[port->id] = NULL;
	spin_unlock_irq(&vsdev->ports_lock);
	spin_lock_irq(&port->lock);
	port->unplugged = true;
	spin_unlock_irq(&port->lock);
	spin_lock_irq(&port->rx_lock);
	port->in_vq = NULL;
	spin_unlock_irq(&port->rx_lock);
	vser_rx_stop(port);
	spin_lock_irq(&port->tx_lock);
	port->out_vq = NULL;
	spin_unlock_irq(&port->tx_lock);
	if (port->dev)
		device_unregister(port->dev);
	if (port->cdev)
		cdev_del(port->cdev);
	vser_port_put(port);
}

/**
 * vser_port_add() - create port @id: its queues, char device and sysfs.
 * @vsdev:   the device; the caller holds its ctrl_mutex (or is probing)
 * @id:      a checked, unused port id
 * @console: the port is a console from the start (a device without
 *           multiport): it never becomes openable as a data port
 *
 * The port becomes reachable by open() last, once it has its receive
 * buffers.  On failure the device gets PORT_READY(0), and a later
 * PORT_ADD for the same id tries again.
 *
 * Return: 0 or a negative errno (the port is then not created).
 */
int vser_port_add(struct vser_device *vsdev, u32 id, bool console)
{
	struct device *parent = &vsdev->vdev->dev;
	dev_t devt = vsdev->chr_base + id;
	struct vser_port *port;
	int err;

	/* Reserve the dev_t's entry now: storing into it cannot fail. */
	err = xa_reserve_irq(&vser_devt_map, devt, GFP_KERNEL);
	if (err)
		goto refuse;
	port = vser_port_alloc(vsdev, id);
	err = -ENOMEM;
	if (!port)
		goto release_devt;
	port->console = console;

	port->cdev = cdev_alloc();
	if (!port->cdev)
		goto discard;
	port->cdev->ops = &vser_fops;
	port->cdev->owner = THIS_MODULE;
	err = cdev_add(port->cdev, devt, 1);
	if (err) {
		kobject_put(&port->cdev->kobj);
		port->cdev = NULL;
		goto discard;
	}

	port->dev = device_create_with_groups(&vser_class, parent, devt, port,
					      vser_port_groups, "vport%up%u",
					      vsdev->vdev->index, id);
	if (IS_ERR(port->dev)) {
		err = PTR_ERR(port->dev);
		port->dev = NULL;
		goto discard;
	}

	vser_port_adopt(port);
	/* Interrupts find the port from here on. */
	spin_lock_irq(&vsdev->ports_lock);
	vsdev->ports[id] = port;
	spin_unlock_irq(&vsdev->ports_lock);
	/* Nothing is queued when this fails. */
	err = vser_rx_fill(port);
	if (err)
		goto discard;
	/*
	 * Buffers taken over may hold what the device wrote for the old
	 * port, with the receive interrupt left off (see vser_rx_poll()):
	 * nobody has the new port open, so this drops that data and turns
	 * the interrupt back on.
	 */
	spin_lock_irq(&port->rx_lock);
	vser_rx_poll(port, NULL);
	spin_unlock_irq(&port->rx_lock);

	xa_store_irq(&vser_devt_map, devt, port, GFP_KERNEL);
	vser_port_added(port);
	port->announced = true;
	vser_ctrl_send(vsdev, id, VIRTIO_CONSOLE_PORT_READY, 1);
	return 0;

discard:
	vser_port_discard(port);
release_devt:
	xa_erase_irq(&vser_devt_map, devt);
refuse:
	dev_warn(parent, "port %u not added: %d\n", id, err);
	vser_ctrl_send(vsdev, id, VIRTIO_CONSOLE_PORT_READY, 0);
	return err;
}

/**
 * vser_port_unplug() - remove a port: no new opens, every waiter woken,
 * buffers taken back from the device.
 * @port:  the port; the caller holds the device's ctrl_mutex
 * @reset: the device has been reset, so its buffers can be freed; else
 *         (PORT_REMOVE) the device may still use them: they are parked
 *         until a reset, or until a port with the same id is added
 */
void vser_port_unplug(struct vser_port *port, bool reset)
{
	struct vser_device *vsdev = port->vsdev;

	spin_lock_irq(&vsdev->ports_lock);
	vsdev->ports[port->id] = NULL;
	spin_unlock_irq(&vsdev->ports_lock);
	/* Hangs up an open /dev/hvcN while the queues are still there. */
	vser_hvc_del(port);

	xa_erase_irq(&vser_devt_map, port->dev->devt);
	spin_lock_irq(&port->lock);
	port->unplugged = true;
	spin_unlock_irq(&port->lock);
	vser_port_wake_all(port);
	/* Counted like any other SIGIO; sent only to a process with it open. */
	vser_port_notify(port, POLL_ERR);

	cancel_delayed_work_sync(&port->host_uevent);
	vser_port_removed(port);
	device_unregister(port->dev);
	cdev_del(port->cdev);

	/* Waiters have seen @unplugged and let go of the mutexes. */
	if (!reset) {
		vser_port_park(port);
		vser_port_put(port);
		return;
	}
	mutex_lock(&port->read_mutex);
	vser_rx_drain(port);
	mutex_unlock(&port->read_mutex);

	mutex_lock(&port->write_mutex);
	spin_lock_irq(&port->tx_lock);
	if (port->out_vq) {
		vser_tx_reclaim(port);
		while (virtqueue_detach_unused_buf(port->out_vq))
			;
	}
	port->out_vq = NULL;
	spin_unlock_irq(&port->tx_lock);
	mutex_unlock(&port->write_mutex);

	vser_port_put(port);
}

/**
 * vser_port_set_name() - record the name the device gave the port.
 * @port: the port
 * @name: a name vser_name_check() accepted, not NUL-terminated
 * @len:  its length
 *
 * Sends KOBJ_CHANGE so that udev makes /dev/virtio-ports/@name.  After a
 * restore the device sends the name again: the same name is ignored, a
 * different one refused.
 */
void vser_port_set_name(struct vser_port *port, const char *name,
			size_t len)
{
	char *copy = kmemdup_nul(name, len, GFP_KERNEL);
	bool set = false;

	if (!copy)
		return;
	spin_lock_irq(&port->lock);
	if (!port->name) {
		port->name = copy;
		set = true;
	} else if (strcmp(port->name, copy)) {
		dev_warn_ratelimited(port->dev, "port %u: second, different name refused\n",
				     port->id);
	}
	spin_unlock_irq(&port->lock);
	if (!set) {
		kfree(copy);
		return;
	}
	kobject_uevent(&port->dev->kobj, KOBJ_CHANGE);
}

/**
 * vser_port_set_host() - the host opened or closed its end.
 * @port:      the port
 * @connected: the new state
 *
 * Wakes readers, writers and pollers, sends SIGIO (POLL_OUT on connect,
 * POLL_HUP on disconnect) to an opener that asked for it, and a
 * KOBJ_CHANGE uevent for the host_connected attribute.  The uevent goes
 * out %VSER_UEVENT_DELAY later, merged with any further change meanwhile,
 * so that a host toggling PORT_OPEN cannot flood udev.
 */
void vser_port_set_host(struct vser_port *port, bool connected)
{
	bool changed;

	spin_lock_irq(&port->lock);
	changed = port->host_connected != connected;
	port->host_connected = connected;
	spin_unlock_irq(&port->lock);
	if (!changed)
		return;
	if (connected)
		trace_vser_host_connect(port->vsdev->vdev->index, port->id);
	else
		trace_vser_host_disconnect(port->vsdev->vdev->index, port->id);

	/* A host that went away may have returned our transmit slots. */
	spin_lock_irq(&port->tx_lock);
	vser_tx_reclaim(port);
	vser_hvc_tx_done(port);
	spin_unlock_irq(&port->tx_lock);

	vser_port_wake_all(port);
	vser_port_notify(port, connected ? POLL_OUT : POLL_HUP);
	schedule_delayed_work(&port->host_uevent, VSER_UEVENT_DELAY);
}

/**
 * vser_port_make_console() - the device says the port is a console.
 * @port: the port; the caller holds the device's ctrl_mutex
 *
 * Its char device can no longer be opened (as upstream); it becomes an
 * hvc terminal when the driver was built with hvc support
 * (CONFIG_VIRTIO_SERIAL_PV_CONSOLE in tree, CONFIG_HVC_DRIVER out of
 * tree), and is refused with a warning otherwise.  The device gets
 * PORT_OPEN(1) either way, as VIRTIO 5.3.6.2 asks.
 *
 * A port a guest process has open stays a data port: hvc and the reader
 * would take the same buffers.  open_mutex orders this against open()
 * and release(), which also change @guest_connected under it.
 *
 * Return: 0, -EBUSY when the port is open, -ENODEV once it is unplugged,
 * or the error of vser_hvc_add().
 */
int vser_port_make_console(struct vser_port *port)
{
	int err = 0;

	mutex_lock(&port->open_mutex);
	spin_lock_irq(&port->lock);
	if (port->unplugged)
		err = -ENODEV;
	else if (port->guest_connected && !port->console)
		err = -EBUSY;
	else
		port->console = true;
	spin_unlock_irq(&port->lock);
	if (err) {
		mutex_unlock(&port->open_mutex);
		if (err == -EBUSY)
			dev_warn(port->dev, "port %u: CONSOLE_PORT while a process has the port open; ignored\n",
				 port->id);
		return err;
	}
	err = vser_hvc_add(port);
	mutex_unlock(&port->open_mutex);
	if (err == -EOPNOTSUPP)
		dev_warn(port->dev, "port %u is a console port, but this driver was built without hvc (CONFIG_VIRTIO_SERIAL_PV_CONSOLE, CONFIG_HVC_DRIVER): port refused\n",
			 port->id);
	else if (err)
		dev_warn(port->dev, "port %u: console not registered with hvc: %d; port refused\n",
			 port->id, err);
	vser_ctrl_send(port->vsdev, port->id, VIRTIO_CONSOLE_PORT_OPEN, 1);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vser_port_make_console);
