#!/bin/busybox sh
# flow's guest init: the first process of the microVM (guest-image.ts puts
# it in the initramfs as /init). It mounts what the kernel needs, loads the
# virtio modules in dependency order (guest-image.ts lists them in
# /lib/modules/order), unbinds the NIC (the agent binds it again only in a
# VM granted `net`: without it the VM has no interface), prepares the
# cgroups the agent runs commands in, and becomes the agent. The root file system is the initramfs itself: it
# lives in the VM's RAM, so what a command writes outside /work never
# reaches the host.
/bin/busybox mkdir -p /proc /sys /dev /tmp /work /root /etc /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
for module in $(cat /lib/modules/order); do
  insmod "/lib/modules/$module.ko" || echo "flow-init: cannot load $module" >&2
done
for device in /sys/bus/virtio/devices/*; do
  # 0x0001: a network device.
  [ "$(cat "$device/device")" = 0x0001 ] && echo "${device##*/}" > /sys/bus/virtio/drivers/virtio_net/unbind
done
# favordynmods: moving a process into a cgroup, as the agent does for each
# command, otherwise waits for an RCU grace period (~10 ms under TCG).
mount -t cgroup2 -o favordynmods cgroup2 /sys/fs/cgroup
echo "+memory +pids" > /sys/fs/cgroup/cgroup.subtree_control
echo "root:x:0:0:root:/root:/bin/sh" > /etc/passwd
echo "root:x:0:" > /etc/group
echo flow > /proc/sys/kernel/hostname
# Huge pages for all anonymous memory: under TCG every page fault is
# costly, and a command touching 100 MB would spend seconds in 25,000 of them.
echo always > /sys/kernel/mm/transparent_hugepage/enabled
exec /bin/flow-agent
