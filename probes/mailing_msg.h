/* mailing_msg.h - what one campaign message shows its recipient: the
 * unsubscribe headers (RFC 2369, RFC 8058), whether the DKIM signature
 * covers them, a visible unsubscribe link in the HTML body and the sender
 * identification (imprint) in the text.
 *
 * The message is parsed with GMime and its HTML parts with libxml2's HTML
 * parser (no network, no entity expansion); both are given bytes already
 * bounded by the caller. Malformed input gives AX_EINVALID with a message,
 * never a crash: a message GMime finds no headers in, or an HTML part
 * libxml2 can make no document of. HTML it recovers from is read like a
 * browser would and flagged in html_recovered. The signature itself is not verified (that needs DNS and
 * is the receiver's job); the check is what the sender signed. */
#ifndef AX_MAILING_MSG_H
#define AX_MAILING_MSG_H

#include <regex.h>
#include <stddef.h>

struct ax_mailing_report {
	int list_unsubscribe;  /* List-Unsubscribe has an https: or mailto: URI */
	int unsubscribe_https; /* ... an https: URI (needed for one-click) */
	int one_click;         /* List-Unsubscribe-Post: List-Unsubscribe=One-Click */
	int dkim_signed;       /* a DKIM-Signature header exists */
	int dkim_covers;       /* some signature's h= lists List-Unsubscribe (and -Post when present) */
	int has_html;
	int html_recovered;    /* an HTML part needed libxml2's error recovery */
	int unsubscribe_link;  /* a visible link matching the pattern (HTML, else text) */
	int sender_identified; /* the sender pattern matched the body text; -1 without pattern */
};

/* unsub_re: matched against each link's URL and text; sender_re may be
 * NULL. */
int ax_mailing_inspect(const char *data, size_t len, const regex_t *unsub_re, const regex_t *sender_re,
		       struct ax_mailing_report *out);

#endif
