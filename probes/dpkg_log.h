/* dpkg_log.h - one line of dpkg's log (/var/log/dpkg.log and rotations).
 *
 * dpkg writes "YYYY-MM-DD HH:MM:SS ACTION ..." in local time (dpkg's
 * src/main/... log_message): `install|upgrade|remove|purge PKG:ARCH
 * OLD NEW` (`<none>` for a missing version), `status STATE PKG:ARCH
 * VERSION`, and `startup`, `configure`, `trigproc`, `conffile` lines the
 * probe does not need. The parser never allocates: fields are slices of
 * the line. Anything else (a cut line, binary junk) is not an event. */
#ifndef AX_DPKG_LOG_H
#define AX_DPKG_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "logread.h"

enum dpkg_log_action {
	DPKG_LOG_INSTALL = 1,
	DPKG_LOG_UPGRADE,
	DPKG_LOG_REMOVE,
	DPKG_LOG_PURGE,
	DPKG_LOG_STATUS,
};

struct dpkg_slice {
	const char *p;
	size_t n;
};

struct dpkg_log_ev {
	int64_t when; /* epoch seconds */
	enum dpkg_log_action action;
	struct dpkg_slice pkg, arch; /* arch empty when the line has none */
	struct dpkg_slice from, to;  /* versions, empty for <none>; status: to = version, from = state */
};

/* 1 and ev for an event line, 0 for any other line. */
int dpkg_log_parse(const struct ax_logclock *clock, const char *line, size_t len, struct dpkg_log_ev *ev);

#endif
