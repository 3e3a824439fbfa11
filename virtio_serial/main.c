// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial: a guest driver for virtio-serial (virtio console) devices.
 *
 * Probe, remove, freeze and restore share vser_probe_common() and
 * vser_remove_common(), in the manner of virtio-rng.  The user ABI is the
 * in-tree virtio_console's: class "virtio-ports", char devices
 * vport<dev>p<port>, sysfs "name", KOBJ_CHANGE when the name arrives.
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vser.h"

vser_class_const struct class vser_class = {
	.name = "virtio-ports",
};

static int vser_probe_common(struct vser_device *vsdev)
{
	int err;

	err = vser_find_vqs(vsdev);
	if (err)
		return err;
	spin_lock_irq(&vsdev->ctrl_lock);
	vsdev->removed = false;
	spin_unlock_irq(&vsdev->ctrl_lock);
	/* Interrupts may come from here on; the queues are consistent. */
	virtio_device_ready(vsdev->vdev);
	return 0;
}

/* Multiport: give the control queue its buffers and say we are ready. */
static int vser_ctrl_start(struct vser_device *vsdev)
{
	int err;

	if (!vsdev->multiport)
		return 0;
	err = vser_ctrl_fill(vsdev);
	if (err)
		return err;
	return vser_ctrl_send(vsdev, VIRTIO_CONSOLE_BAD_ID,
			      VIRTIO_CONSOLE_DEVICE_READY, 1);
}

/* Take every buffer of a port back for a freeze; it keeps its files. */
static void vser_port_freeze(struct vser_port *port)
{
	unsigned int i;

	mutex_lock(&port->read_mutex);
	vser_rx_drain(port);
	mutex_unlock(&port->read_mutex);

	mutex_lock(&port->write_mutex);
	spin_lock_irq(&port->tx_lock);
	while (port->out_vq && virtqueue_detach_unused_buf(port->out_vq))
		;
	port->out_vq = NULL;
	for (i = 0; port->tx && i < VSER_TX_SLOTS; i++)
		port->tx[i].busy = false;
	vser_hvc_tx_reset(port);
	spin_unlock_irq(&port->tx_lock);
	mutex_unlock(&port->write_mutex);
	port->announced = false;
}

/* Give a port the new queues after a restore. */
static void vser_port_thaw(struct vser_port *port)
{
	struct vser_device *vsdev = port->vsdev;
	unsigned int rx = port->id ? 2 * (port->id + 1) : 0;

	spin_lock_irq(&port->rx_lock);
	port->in_vq = vsdev->vqs[rx];
	spin_unlock_irq(&port->rx_lock);
	spin_lock_irq(&port->tx_lock);
	vser_tx_set_queue(port, vsdev->vqs[rx + 1]);
	spin_unlock_irq(&port->tx_lock);
	if (vser_rx_fill(port))
		dev_warn(&vsdev->vdev->dev, "port %u: no receive buffers after restore\n",
			 port->id);
	/*
	 * The freeze took every transmit slot back without an interrupt:
	 * a writer or poller waiting for room looks again.
	 */
	wake_up_interruptible(&port->tx_waitq);
}

/*
 * Stop the device and take every buffer back.  Safe to call twice and
 * after a restore that failed: the queues are then gone already (@vqs is
 * NULL) and the ports hold no queue.
 */
static void vser_remove_common(struct vser_device *vsdev, bool freezing)
{
	struct vser_port *port;
	u32 id;

	spin_lock_irq(&vsdev->ctrl_lock);
	vsdev->removed = true;
	spin_unlock_irq(&vsdev->ctrl_lock);
	wake_up(&vsdev->ctrl_wait);
	virtio_reset_device(vsdev->vdev);
	cancel_work_sync(&vsdev->ctrl_work);

	mutex_lock(&vsdev->ctrl_mutex);
	/* Messages from before a reset mean nothing after it. */
	vsdev->ctrl_count = 0;
	for (id = 0; id < vsdev->max_ports; id++) {
		port = vsdev->ports[id];
		if (!port)
			continue;
		if (freezing)
			vser_port_freeze(port);
		else
			vser_port_unplug(port, true);
	}
	/* The device is reset: what removed ports left is ours again. */
	vser_parked_free(vsdev);
	mutex_unlock(&vsdev->ctrl_mutex);

	if (!vsdev->vqs)
		return;
	if (vsdev->multiport)
		vser_ctrl_free(vsdev);
	vsdev->vdev->config->del_vqs(vsdev->vdev);
	kfree(vsdev->vqs);
	vsdev->vqs = NULL;
}

/* max_nr_ports from the device, checked. */
static int vser_max_ports(struct virtio_device *vdev, u32 *max_ports)
{
	u32 max;

	*max_ports = 1;
	if (!virtio_has_feature(vdev, VIRTIO_CONSOLE_F_MULTIPORT))
		return 0;
	virtio_cread(vdev, struct virtio_console_config, max_nr_ports, &max);
	if (!max) {
		dev_err(&vdev->dev, "multiport device with max_nr_ports 0\n");
		return -EINVAL;
	}
	if (max > VSER_MAX_PORTS) {
		dev_warn(&vdev->dev, "max_nr_ports %u; using the first %u\n",
			 max, VSER_MAX_PORTS);
		max = VSER_MAX_PORTS;
	}
	*max_ports = max;
	return 0;
}

static int vser_probe(struct virtio_device *vdev)
{
	struct vser_device *vsdev;
	int err;

	vsdev = kzalloc(sizeof(*vsdev), GFP_KERNEL);
	if (!vsdev)
		return -ENOMEM;
	kref_init(&vsdev->kref);
	/* Ports and open files outlive remove(): keep @vdev's memory. */
	get_device(&vdev->dev);
	vsdev->vdev = vdev;
	vsdev->little_endian = virtio_is_little_endian(vdev);
	vsdev->removed = true;
	spin_lock_init(&vsdev->ports_lock);
	spin_lock_init(&vsdev->ctrl_lock);
	init_waitqueue_head(&vsdev->ctrl_wait);
	mutex_init(&vsdev->ctrl_mutex);
	INIT_WORK(&vsdev->ctrl_work, vser_ctrl_work);
	vdev->priv = vsdev;

	err = vser_max_ports(vdev, &vsdev->max_ports);
	if (err)
		goto put_device;
	vsdev->multiport = virtio_has_feature(vdev,
					      VIRTIO_CONSOLE_F_MULTIPORT);
	vsdev->nvqs = vsdev->multiport ? 2 * (vsdev->max_ports + 1) : 2;
	vsdev->ports = kcalloc(vsdev->max_ports, sizeof(*vsdev->ports),
			       GFP_KERNEL);
	vsdev->ctrl_items = kcalloc(VSER_CTRL_BUDGET,
				    sizeof(*vsdev->ctrl_items), GFP_KERNEL);
	vsdev->parked = kcalloc(vsdev->max_ports, sizeof(*vsdev->parked),
				GFP_KERNEL);
	err = -ENOMEM;
	if (!vsdev->ports || !vsdev->ctrl_items || !vsdev->parked)
		goto put_device;
	err = alloc_chrdev_region(&vsdev->chr_base, 0, vsdev->max_ports,
				  "virtio-portsdev");
	if (err)
		goto put_device;

	err = vser_probe_common(vsdev);
	if (err)
		goto unregister_chrdev;
	vser_debugfs_dev_add(vsdev);
	if (!vsdev->multiport) {
		/* The only port is a console (VIRTIO 5.3.6.1): hvc, if any. */
		mutex_lock(&vsdev->ctrl_mutex);
		err = vser_port_add(vsdev, 0, true);
		if (!err)
			vser_port_make_console(vsdev->ports[0]);
		mutex_unlock(&vsdev->ctrl_mutex);
	} else {
		err = vser_ctrl_start(vsdev);
	}
	if (err)
		goto remove_common;
	return 0;

remove_common:
	vser_remove_common(vsdev, false);
	vser_debugfs_dev_remove(vsdev);
unregister_chrdev:
	unregister_chrdev_region(vsdev->chr_base, vsdev->max_ports);
put_device:
	dev_err(&vdev->dev, "probe failed: %d\n", err);
	vser_device_put(vsdev);
	return err;
}

static void vser_remove(struct virtio_device *vdev)
{
	struct vser_device *vsdev = vdev->priv;

	vser_remove_common(vsdev, false);
	vser_debugfs_dev_remove(vsdev);
	unregister_chrdev_region(vsdev->chr_base, vsdev->max_ports);
	vser_device_put(vsdev);
}

#ifdef CONFIG_PM_SLEEP
static int vser_freeze(struct virtio_device *vdev)
{
	vser_remove_common(vdev->priv, true);
	return 0;
}

static int vser_restore(struct virtio_device *vdev)
{
	struct vser_device *vsdev = vdev->priv;
	u32 id;
	int err;

	err = vser_probe_common(vsdev);
	if (err)
		return err;
	mutex_lock(&vsdev->ctrl_mutex);
	for (id = 0; id < vsdev->max_ports; id++)
		if (vsdev->ports[id])
			vser_port_thaw(vsdev->ports[id]);
	mutex_unlock(&vsdev->ctrl_mutex);
	/*
	 * The device announces its ports again: PORT_ADD of a port kept
	 * across the reset is answered by vser_ctrl_reannounce().
	 */
	return vser_ctrl_start(vsdev);
}
#endif

static const struct virtio_device_id vser_id_table[] = {
	{ VIRTIO_ID_CONSOLE, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vser_id_table);

static void vser_config_changed(struct virtio_device *vdev)
{
	vser_hvc_config_changed(vdev->priv);
}

static const unsigned int vser_features[] = {
	VIRTIO_CONSOLE_F_SIZE,
	VIRTIO_CONSOLE_F_MULTIPORT,
	VIRTIO_CONSOLE_F_EMERG_WRITE,
};

static struct virtio_driver vser_driver = {
	.driver.name = KBUILD_MODNAME,
	.feature_table = vser_features,
	.feature_table_size = ARRAY_SIZE(vser_features),
	.id_table = vser_id_table,
	.probe = vser_probe,
	.remove = vser_remove,
	.config_changed = vser_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vser_freeze,
	.restore = vser_restore,
#endif
};

/*
 * virtio_console registers the same class: two drivers cannot share it.
 * Look first rather than rely on class_register() failing with -EEXIST:
 * in 6.12 the duplicate kobject goes through sysfs_warn_dup(), which
 * calls dump_stack(), and a stack trace in the log looks like (and is
 * reported by test rigs as) a kernel bug.  The check can race with a
 * concurrent load of virtio_console; class_register() still fails then.
 */
static bool vser_class_taken(void)
{
	struct path path;

	if (kern_path("/sys/class/virtio-ports", 0, &path))
		return false;
	path_put(&path);
	return true;
}

static int __init vser_init(void)
{
	int err;

	if (vser_class_taken()) {
		pr_err("class virtio-ports exists: virtio_console is loaded or built in; unload or blacklist it (modprobe.blacklist=virtio_console, or initcall_blacklist=virtio_console_init when built in)\n");
		return -EBUSY;
	}
	err = class_register(&vser_class);
	if (err) {
		pr_err("cannot register class virtio-ports: %d\n", err);
		return err;
	}
	vser_debugfs_init();
	err = register_virtio_driver(&vser_driver);
	if (err)
		goto unregister_class;
	return 0;

unregister_class:
	vser_debugfs_exit();
	class_unregister(&vser_class);
	return err;
}
module_init(vser_init);

static void __exit vser_exit(void)
{
	unregister_virtio_driver(&vser_driver);
	vser_debugfs_exit();
	class_unregister(&vser_class);
}
module_exit(vser_exit);

MODULE_DESCRIPTION("virtio-serial guest driver with SIGIO, compatible with virtio_console");
MODULE_LICENSE("GPL");
MODULE_VERSION(PVGUEST_VERSION);
