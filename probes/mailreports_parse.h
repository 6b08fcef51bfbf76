/* mailreports_parse.h - one report that a mail receiver sent back: a DMARC
 * aggregate report (RFC 7489 appendix C, XML) or an SMTP TLS report
 * (RFC 8460, JSON), plain, gzipped or as the first file of a zip archive.
 * Input is untrusted: decompression stops at max bytes (an error, not a
 * truncation), XML is read without entities or network, every count is
 * checked for overflow. */
#ifndef AX_MAILREPORTS_PARSE_H
#define AX_MAILREPORTS_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum mr_kind { MR_DMARC = 1, MR_TLSRPT = 2 };

struct mr_count {
	char *key; /* DMARC: a failing source IP; TLS-RPT: a result type */
	uint64_t count;
};

struct mr_report {
	enum mr_kind kind;
	char *org, *report_id, *domain; /* domain: policy_published / policy-domain (first) */
	int64_t begin, end;             /* the period the report covers */
	/* DMARC: messages passing DMARC (DKIM or SPF aligned and passing) and
	 * failing; TLS-RPT: sessions successful and failed. */
	uint64_t pass, fail;
	struct mr_count *counts; /* failing sources / failure result types */
	size_t ncounts;
};

/* 1 when data starts like a report or an archive of one (gzip, zip, XML,
 * JSON): what an attachment must look like to be read as a report. */
int mr_looks_like_report(const void *data, size_t len);
/* 0 with *out filled, or AX_EINVALID (malformed, unknown format, more
 * than max bytes once decompressed) with a message; *out is then empty. */
int mr_report_parse(const void *data, size_t len, size_t max, struct mr_report *out);
void mr_report_free(struct mr_report *r);

#endif
