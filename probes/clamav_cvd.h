/* clamav_cvd.h - the 512-byte header of ClamAV's signature databases
 * (.cvd, and .cld as freshclam keeps them after applying diffs), as
 * libclamav's cl_cvdparse reads it and sigtool --build writes it:
 *
 *   ClamAV-VDB:TIME:VERSION:SIGS:FLEVEL:MD5:DSIG:BUILDER:STIME
 *
 * padded with blanks to 512 bytes; TIME is "%d %b %Y %H-%M %z" (a hyphen
 * between hour and minute, so the colon stays a separator), STIME the
 * build time in epoch seconds (absent in very old files: TIME is used). */
#ifndef AX_CLAMAV_CVD_H
#define AX_CLAMAV_CVD_H

#include <stddef.h>
#include <stdint.h>

#define CVD_HEAD_LEN 512

struct cvd_head {
	char time[64];
	unsigned version, sigs, flevel;
	char builder[64];
	int64_t built; /* epoch seconds: STIME, else TIME */
};

/* head: the file's first bytes (at most CVD_HEAD_LEN are read). AX_EINVALID
 * when it is not a database header. */
int cvd_parse(const char *head, size_t len, struct cvd_head *out);

#endif
