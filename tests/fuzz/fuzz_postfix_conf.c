/* fuzz_postfix_conf.c - arbitrary bytes as main.cf and as master.cf: the
 * parsers must never crash, must return a result xor an error, and the
 * expansion of every parameter (and every service override) must stay
 * within its bounds. The rules helpers get the same bytes as values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "postfix_conf.h"
#include "postfix_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_main *m = NULL;
	struct pf_master *ms = NULL;
	struct ax_buf out = AX_BUF_INIT;
	int rc = pf_main_parse(&m, (const char *)data, size, "main.cf");
	if ((rc == 0) != (m != NULL))
		abort();
	int rc2 = pf_master_parse(&ms, (const char *)data, size, "master.cf");
	if ((rc2 == 0) != (ms != NULL))
		abort();
	for (size_t i = 0; m && i < m->nparams; i++) {
		if (pf_expand(m, NULL, m->params[i].name, &out) == 0 && out.size > PF_EXPAND_MAX)
			abort();
		unsigned mask;
		(void)pf_protocols_parse(ax_buf_cstr(&out), &mask);
		struct ax_buf why = AX_BUF_INIT;
		(void)pf_relay_list_safe(ax_buf_cstr(&out), &why);
		(void)pf_networks_within(ax_buf_cstr(&out), "127.0.0.0/8 [::1]/128", &why);
		ax_buf_free(&why);
	}
	for (size_t s = 0; ms && s < ms->nservices; s++)
		for (size_t i = 0; i < ms->services[s].noverrides; i++)
			if (pf_expand(m, &ms->services[s], ms->services[s].overrides[i].name, &out) == 0 &&
			    out.size > PF_EXPAND_MAX)
				abort();
	ax_buf_free(&out);
	pf_main_free(m);
	pf_master_free(ms);
	return 0;
}
