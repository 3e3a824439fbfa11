// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_serial: statistics in debugfs, and the tracepoints.
 *
 *   /sys/kernel/debug/virtio_serial/<virtio device>/control
 *   /sys/kernel/debug/virtio_serial/<virtio device>/vport<dev>p<id>
 *
 * Each file holds one "name value" line per counter.  The counters are
 * atomic64_t, updated under locks the paths that change them already
 * hold (see struct vser_port_stats), so counting costs no extra lock,
 * and read without a lock, never torn.
 * A port's file goes when the port is unplugged, a device's folder when
 * the device is removed, the whole tree when the module is unloaded;
 * debugfs_remove() waits for readers of the file, so none can see a
 * freed port.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/virtio.h>

#include "vser.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static struct dentry *vser_debugfs_root;

/* Bytes of transmit slot memory the port holds. */
static unsigned long vser_tx_memory(struct vser_port *port)
{
	unsigned long bytes = 0;
	unsigned int i, j;

	spin_lock_irq(&port->tx_lock);
	for (i = 0; port->tx && i < VSER_TX_SLOTS; i++) {
		if (port->tx[i].contig) {
			bytes += VSER_TX_SLOT_SIZE;
			continue;
		}
		for (j = 0; j < VSER_TX_SLOT_PAGES; j++)
			bytes += port->tx[i].pages[j] ? PAGE_SIZE : 0;
	}
	spin_unlock_irq(&port->tx_lock);
	return bytes;
}

static int vser_port_stats_show(struct seq_file *m, void *unused)
{
	struct vser_port *port = m->private;
	struct vser_port_stats *st = &port->stats;
	bool guest, host;

	spin_lock_irq(&port->lock);
	guest = port->guest_connected;
	host = port->host_connected;
	spin_unlock_irq(&port->lock);
	seq_printf(m, "guest_connected %d\n", guest);
	seq_printf(m, "host_connected %d\n", host);
	seq_printf(m, "bytes_in %lld\n", atomic64_read(&st->bytes_in));
	seq_printf(m, "buffers_in %lld\n", atomic64_read(&st->bufs_in));
	seq_printf(m, "bytes_out %lld\n", atomic64_read(&st->bytes_out));
	seq_printf(m, "buffers_out %lld\n", atomic64_read(&st->bufs_out));
	seq_printf(m, "bytes_discarded %lld\n",
		   atomic64_read(&st->bytes_discarded));
	seq_printf(m, "buffers_discarded %lld\n",
		   atomic64_read(&st->bufs_discarded));
	seq_printf(m, "truncated %lld\n", atomic64_read(&st->truncated));
	seq_printf(m, "queue_full %lld\n", atomic64_read(&st->queue_full));
	seq_printf(m, "console_dropped %lld\n",
		   atomic64_read(&st->console_dropped));
	seq_printf(m, "console_emerg %lld\n",
		   atomic64_read(&st->console_emerg));
	seq_printf(m, "sigio %lld\n", atomic64_read(&st->sigio));
	seq_printf(m, "read_polls %lld\n", atomic64_read(&st->read_polls));
	seq_printf(m, "read_poll_hits %lld\n",
		   atomic64_read(&st->read_poll_hits));
	seq_printf(m, "tx_memory %lu\n", vser_tx_memory(port));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vser_port_stats);

static int vser_ctrl_stats_show(struct seq_file *m, void *unused)
{
	struct vser_device *vsdev = m->private;
	struct vser_ctrl_stats *st = &vsdev->stats;

	seq_printf(m, "max_ports %u\n", vsdev->max_ports);
	seq_printf(m, "multiport %d\n", vsdev->multiport);
	seq_printf(m, "messages_in %lld\n", atomic64_read(&st->received));
	seq_printf(m, "rejected %lld\n", atomic64_read(&st->rejected));
	seq_printf(m, "messages_out %lld\n", atomic64_read(&st->sent));
	seq_printf(m, "send_failed %lld\n", atomic64_read(&st->failed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vser_ctrl_stats);

/**
 * vser_debugfs_init() - create /sys/kernel/debug/virtio_serial.
 *
 * Failure is not an error: the driver works without its statistics.
 */
void vser_debugfs_init(void)
{
	vser_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

/**
 * vser_debugfs_exit() - remove what is left of the tree (nothing, once
 * every device is gone).
 */
void vser_debugfs_exit(void)
{
	debugfs_remove_recursive(vser_debugfs_root);
	vser_debugfs_root = NULL;
}

/**
 * vser_debugfs_dev_add() - a device's folder, its control file and its
 * force_emergency_write switch (for tests: console output goes to the
 * emerg_wr config field only, where the device offers it).
 * @vsdev: a device being probed
 */
void vser_debugfs_dev_add(struct vser_device *vsdev)
{
	vsdev->debugfs = debugfs_create_dir(dev_name(&vsdev->vdev->dev),
					    vser_debugfs_root);
	debugfs_create_file("control", 0444, vsdev->debugfs, vsdev,
			    &vser_ctrl_stats_fops);
	debugfs_create_bool("force_emergency_write", 0600, vsdev->debugfs,
			    &vsdev->emerg_forced);
}

/**
 * vser_debugfs_dev_remove() - remove a device's folder.
 * @vsdev: a device whose ports are all unplugged
 */
void vser_debugfs_dev_remove(struct vser_device *vsdev)
{
	debugfs_remove_recursive(vsdev->debugfs);
	vsdev->debugfs = NULL;
}

/**
 * vser_port_added() - a port is ready: its debugfs file, and the
 * vser_port_add tracepoint.
 * @port: the port, reachable from now on
 */
void vser_port_added(struct vser_port *port)
{
	char name[32];

	snprintf(name, sizeof(name), "vport%up%u",
		 port->vsdev->vdev->index, port->id);
	port->debugfs = debugfs_create_file(name, 0444, port->vsdev->debugfs,
					    port, &vser_port_stats_fops);
	trace_vser_port_add(port->vsdev->vdev->index, port->id);
}

/**
 * vser_port_removed() - a port is being unplugged: remove its debugfs
 * file (waiting for readers) and fire the vser_port_remove tracepoint.
 * @port: the port, still allocated
 */
void vser_port_removed(struct vser_port *port)
{
	debugfs_remove(port->debugfs);
	port->debugfs = NULL;
	trace_vser_port_remove(port->vsdev->vdev->index, port->id);
}
