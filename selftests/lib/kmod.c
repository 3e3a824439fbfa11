// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side helper: is a module built into the running kernel?
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "kmod.h"

bool kmod_builtin(const char *name)
{
	char path[320], line[512], want[128];
	struct utsname u;
	bool found = false;
	size_t n;
	FILE *f;

	if (uname(&u))
		return false;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin",
		 u.release);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* Lines are paths in the tree: kernel/drivers/.../NAME.ko */
	snprintf(want, sizeof(want), "/%s.ko", name);
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		n = strlen(line);
		found = n >= strlen(want) &&
			!strcmp(line + n - strlen(want), want);
	}
	fclose(f);
	return found;
}
