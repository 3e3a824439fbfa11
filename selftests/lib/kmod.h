/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side helper for tests that load or unload a module: whether the
 * running kernel has it built in (the in-tree build), where there is
 * nothing to load or unload.
 */
#ifndef PVGUEST_KMOD_H
#define PVGUEST_KMOD_H

#include <stdbool.h>

/**
 * kmod_builtin() - whether a module is built into the running kernel
 * @name: the module's name, without .ko
 *
 * Looks in /lib/modules/$(uname -r)/modules.builtin.
 *
 * Return: true when that file lists @name.ko, false otherwise (also when
 * the file is missing: a kernel without modules.builtin has no module
 * built in that a test would want to load).
 */
bool kmod_builtin(const char *name);

#endif
