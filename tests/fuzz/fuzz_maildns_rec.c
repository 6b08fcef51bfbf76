/* fuzz_maildns_rec.c - arbitrary bytes as the text of a TXT record through
 * the SPF, DMARC, DKIM-key, TLS-RPT and MTA-STS record parsers, and as an
 * MTA-STS policy body of the `maildns` probe, and its lines as MX host
 * addresses for the redundancy count. A parse either fails cleanly or
 * yields values inside their ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "maildns_dns.h"
#include "maildns_rec.h"
#include "maildns_sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *rec = ax_strndup((const char *)data, size); /* TXT text never holds a NUL: the resolver made it '?' */
	struct md_spf s;
	if (md_spf_parse(rec, &s) == 0) {
		if (s.lookups < 0 || (size_t)s.lookups < s.nincludes || s.macros < 0 || (s.open & ~1) ||
		    (s.all && !strchr("+-~?", s.all)))
			abort();
		for (size_t i = 0; i < s.nincludes; i++)
			if (!s.includes[i][0])
				abort();
	}
	md_spf_free(&s);
	struct md_dmarc d;
	if (md_dmarc_parse(rec, &d) == 0 && (!d.p || d.pct < 0 || d.pct > 100 || !strchr("rs", d.adkim) || !strchr("rs", d.aspf)))
		abort();
	md_dmarc_free(&d);
	struct md_dkim k;
	if (md_dkim_parse(rec, &k) == 0 && (!k.k || k.bits < 0 || (k.revoked && k.bits)))
		abort();
	md_dkim_free(&k);
	char *rua = NULL;
	if (md_tlsrpt_parse(rec, &rua) == 0 && !rua)
		abort();
	free(rua);
	char *sd = NULL, *ss = NULL;
	if (md_dkim_sig_ids(rec, &sd, &ss) == 0 && (!sd || !ss || !ss[0]))
		abort();
	free(sd);
	free(ss);
	char *id = NULL;
	if (md_sts_record_parse(rec, &id) == 0 && (!id || !id[0] || strlen(id) > 32))
		abort();
	free(id);
	struct md_sts p;
	if (md_sts_parse((const char *)data, size, &p) == 0) {
		if (!p.mode || p.max_age < 0 || p.max_age > 31557600)
			abort();
		for (size_t i = 0; i < p.nmx; i++)
			(void)md_sts_mx_match(p.mx[i], "mx.example.com");
	}
	md_sts_free(&p);
	/* lines as addresses of three hosts: never more hosts apart than hosts */
	const char *addr[64];
	size_t host[64], n = 0;
	for (char *save = NULL, *l = strtok_r(rec, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save)) {
		char net[64];
		md_network_of(l, net);
		addr[n] = l;
		host[n] = n % 3;
		n++;
	}
	if (md_hosts_apart(addr, host, n) > (n < 3 ? n : 3))
		abort();
	free(rec);
	return 0;
}
