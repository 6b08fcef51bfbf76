/* probe.h - the interface every probe type implements.
 *
 * A probe type is one file in probes/ that defines exactly one
 *     const struct probe probe_NAME = { ... };
 * (the registry lists NAME from probe_names in probes/meson.build). A probe
 * runs in a child process; it reads its options, looks at the target and
 * emits check results and artifacts through the ax_probe_* functions. It
 * never names a control (controls/mapping/ does), never touches the store
 * or the signing key, and minimises what it emits: no passwords, keys or
 * raw personal data (use ax_probe_pseudonym() and ax_redact_*()). */
#ifndef AX_PROBE_H
#define AX_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "evidence.h"
#include "option.h"

/* A check id the probe may emit. An id ending in ".*" admits any suffix of
 * id characters (for checks named after user-chosen items). */
struct ax_check_def {
	const char *id;
	const char *summary;
};

struct ax_probe_ctx;

/* What a probe's child may reach (collector/sandbox.h; README, "Probe
 * confinement"). Every child may read the system's libraries, CA store and
 * name service files, read and write its own state folder and a private
 * temporary folder (TMPDIR), and read what its AX_OPT_PATH options name
 * (a glob's folder) and the file of a sqlite: database URI (its folder,
 * for the -wal and -shm files). Nothing else: no TCP, no programs, never
 * the store, the signing key or the config file. A probe that needs more
 * says so here. */
struct ax_probe_access {
	unsigned flags;              /* AX_ACCESS_* */
	const char *const *paths;    /* STRING options naming files or folders it reads (of LIVE:REPO, LIVE) */
	const char *const *folders;  /* options whose file's whole folder it reads (rotations, includes) */
	const char *const *connect;  /* options naming host:port or postgresql://: TCP connect to that port */
	const char *groups;          /* supplementary groups when run as [annexa] probe-user ("adm") */
	const char *const *locks;    /* options naming folders whose locks/ it writes (restic check) */
	const uint16_t *ports;       /* fixed TCP ports it connects to (53: DNS over TCP), 0-terminated */
	/* Fixed system files and folders it reads ("/etc/passwd", "/home"),
	 * taken below the value of the option named by root ("/" when that
	 * option is unset and has no default): probes that read a system's
	 * accounts can be pointed at a copy of one. */
	const char *root;
	const char *const *under_root;
};

enum {
	AX_ACCESS_EXEC = 1 << 0, /* runs programs (they inherit the confinement) */
	/* reads the kernel's clock discipline with adjtimex(2) modes = 0; the
	 * child loses CAP_SYS_TIME, so no mode that adjusts the clock works */
	AX_ACCESS_CLOCK = 1 << 1,
	/* reads what only root may read by design (sudoers, every home's
	 * .ssh, sshd's host keys): started as root, the child keeps root and
	 * does not switch to probe-user; Landlock and seccomp still confine it
	 * to its declared paths */
	AX_ACCESS_ROOT = 1 << 2,
};

struct probe {
	const char *name;    /* the `type = ` value */
	const char *summary; /* one line for --help and the README */
	const struct ax_option *options;  /* terminated by { NULL } */
	const struct ax_check_def *checks; /* terminated by { NULL } */
	/* Returns 0 when the probe ran to the end (whatever it found), a
	 * negative code with ax_error_set() when it could not: the parent then
	 * records `error` for every declared check the run did not report. */
	int (*run)(struct ax_probe_ctx *ctx);
	const struct ax_probe_access *access; /* NULL: the defaults above */
};

/* --- registry (generated) --- */
extern const struct probe *const ax_probes[];
const struct probe *ax_probe_find(const char *name);
const struct ax_option *ax_probe_option(const struct probe *p, const char *key);
/* Options every probe instance has: type, interval, timeout, freshness,
 * controls, memory-limit, cpu-limit. */
extern const struct ax_option ax_common_options[];
/* How to fix a failing check, one short line (fixes.c); NULL when none is
 * written. ax_probe_fix_id enumerates the ids that have one. */
const char *ax_probe_fix(const char *check);
size_t ax_probe_fix_count(void);
const char *ax_probe_fix_id(size_t i);
/* True when check is one of p's declared ids (or matches a ".*" one). */
int ax_probe_declares(const struct probe *p, const char *check);

/* --- what a running probe may ask --- */
const char *ax_probe_instance(const struct ax_probe_ctx *ctx);
/* First value of key, else its default, else NULL. */
const char *ax_probe_opt(const struct ax_probe_ctx *ctx, const char *key);
size_t ax_probe_opt_count(const struct ax_probe_ctx *ctx, const char *key);
const char *ax_probe_opt_at(const struct ax_probe_ctx *ctx, const char *key, size_t i);
/* INT, DURATION (seconds), SIZE (bytes) and BOOL (0/1) options, parsed;
 * values were validated when the config was loaded. */
int64_t ax_probe_opt_int(const struct ax_probe_ctx *ctx, const char *key);
int ax_probe_opt_bool(const struct ax_probe_ctx *ctx, const char *key);
/* A folder private to this probe instance that survives between runs
 * (e.g. the last git tip seen), or NULL when the collector has none. */
const char *ax_probe_state_dir(const struct ax_probe_ctx *ctx);
/* Where scratch files go: the child's private temporary folder (TMPDIR,
 * the only writable place besides the state folder), else /tmp. */
const char *ax_probe_tmp(void);
/* The JSON object a previous run saved as name in the state folder (an
 * empty object when there is none, it is unreadable or there is no state
 * folder); ax_probe_state_save writes it there atomically (0600; a
 * failure is a warning: the next run then starts afresh). */
json_t *ax_probe_state_load(const struct ax_probe_ctx *ctx, const char *name);
void ax_probe_state_save(const struct ax_probe_ctx *ctx, const char *name, const json_t *doc);
/* The collection time (ax_now() when the run started). */
int64_t ax_probe_now(const struct ax_probe_ctx *ctx);
/* Keyed pseudonym of a personal value (e-mail address, user name):
 * "p:" + 16 hex digits of HMAC-SHA256(key, lowercased trimmed value),
 * key from [privacy] pseudonym-key-file or the one generated in the state
 * folder. Stable across runs; a context made without a key gets a random
 * one (pseudonyms then hold only within it). */
void ax_probe_pseudonym(const struct ax_probe_ctx *ctx, const char *value, char out[static 20]);

/* What the collector measured of the pseudonym key file when it read it
 * (never the key's bytes): probes that pseudonymise report on it. */
struct ax_probe_key_facts {
	const char *path; /* NULL: not measured (in-process runs, tests) */
	unsigned mode;    /* permission bits (st_mode & 07777) */
	int64_t size;     /* bytes */
	int generated;    /* annexa made it in the state folder; else [privacy] pseudonym-key-file */
};
/* Copied into ctx (path too); NULL clears. */
void ax_probe_ctx_set_key_facts(struct ax_probe_ctx *ctx, const struct ax_probe_key_facts *facts);
/* The check of a probe that pseudonymises with the key (declare it with
 * AX_PROBE_KEY_CHECK): privacy.pseudonym_key fails when the key file
 * grants group or others any access, or is shorter than
 * AX_PROBE_KEY_MIN bytes (HMAC-SHA256 wants a key as long as its output,
 * RFC 2104 section 3); passes otherwise. Observed: path, mode, size,
 * source; never the key or a hash of it. Reports nothing when the facts
 * are unknown. */
#define AX_PROBE_KEY_MIN 32
#define AX_PROBE_KEY_CHECK                                                                                       \
	{"privacy.pseudonym_key", "the pseudonymisation key file is private to its owner and at least 32 bytes long"}
void ax_probe_report_key(struct ax_probe_ctx *ctx);

/* [privacy] show-user-names: local account names appear as they are
 * instead of as pseudonyms (off by default; contexts start with it off). */
void ax_probe_ctx_set_show_names(struct ax_probe_ctx *ctx, int show);
/* A local account or group member name as evidence shows it: the name
 * itself when show-user-names is on, else its pseudonym; appended to out. */
void ax_probe_user_name(const struct ax_probe_ctx *ctx, const char *name, struct ax_buf *out);

/* Free text (a log line) made fit for evidence, appended to out: every
 * e-mail address (mailbox.h) replaced by its pseudonym, then cut to max
 * bytes (" [cut]" added), bytes outside printable ASCII escaped as \xNN.
 * Secrets are not touched: redact the result. */
void ax_probe_safe_text(const struct ax_probe_ctx *ctx, const char *s, size_t len, size_t max, struct ax_buf *out);

/* --- what a running probe emits --- */
/* Emitting returns nothing: a failure (an undeclared check, a result pipe
 * that broke) is kept in ctx, the first one only, and the run counts as
 * failed with it whatever run() returns (the runner asks
 * ax_probe_ctx_error()). A probe goes on after a failed emit; one that
 * emits in an unbounded loop asks ax_probe_ctx_error() to stop. */
/* observed: a JSON object of measured values (stolen; may be NULL). The
 * message is one human sentence ("server accepts TLS 1.0"). */
void ax_probe_result(struct ax_probe_ctx *ctx, const char *check, enum ax_check_status status,
		     json_t *observed, const char *fmt, ...) AX_PRINTF(5, 6);
/* name: a relative path-like id ("handshake-tls1_2.txt", "main.cf");
 * media_type: "text/plain", "application/x-pem-file", "application/json"... */
void ax_probe_artifact(struct ax_probe_ctx *ctx, const char *name, const char *media_type,
		       const void *data, size_t len);
/* j as an application/json artifact, json_dumps(j, flags) (not stolen). */
void ax_probe_artifact_json(struct ax_probe_ctx *ctx, const char *name, const json_t *j, size_t flags);
/* The first emit failure's code (its message set again as ax_error_last()),
 * 0 when every emit went through. */
int ax_probe_ctx_error(const struct ax_probe_ctx *ctx);
/* Keeps err (its message in ax_error_last()) as the run's failure unless
 * one is kept already; for emitters outside probe.c (population.h). */
void ax_probe_note_error(struct ax_probe_ctx *ctx, int err);

/* doc (stolen) as an application/json artifact, indented, keys sorted. */
void ax_probe_artifact_json_take(struct ax_probe_ctx *ctx, const char *name, json_t *doc);

/* --- running a probe in-process (tests, fuzzers, the child) --- */
struct ax_probe_sink {
	int (*result)(void *arg, const struct ax_result *r);
	int (*artifact)(void *arg, const struct ax_artifact *a);
	void *arg;
};

/* One configured [probe "NAME"] section, as the config loaded it
 * (collector/config.h). */
struct ax_kv {
	char *key;
	char *value; /* paths already resolved */
};

struct ax_probe_instance {
	char *name;
	const struct probe *type;
	struct ax_kv *opts; /* as written (multi-valued keys repeat), defaults not included */
	size_t nopts;
	int64_t interval, timeout, freshness; /* seconds; freshness defaults to 2 x interval */
	int64_t memory_limit, cpu_limit;      /* bytes, seconds; 0 = collector default */
	char **controls; /* extra control ids this instance's checks evidence (`controls = A.8.15 ...`) */
	size_t ncontrols;
};

struct ax_probe_ctx *ax_probe_ctx_new(const struct ax_probe_instance *inst, const unsigned char *pseudonym_key,
				      size_t keylen, const char *state_dir, int64_t now,
				      const struct ax_probe_sink *sink);
void ax_probe_ctx_free(struct ax_probe_ctx *ctx);

#endif
