/* export_files.c - the machine-readable files of a bundle: controls.json,
 * results.jsonl, ledger.json, soa.csv.
 *
 * Every file is deterministic for given data (sorted keys, fixed order),
 * times are UTC RFC 3339. results.jsonl and ledger.json together carry
 * exactly what ax_ledger_content_json hashes, so `verify` can recompute
 * each run's content hash from the bundle alone; results.jsonl's manual
 * evidence lines ("kind": "manual") come last and belong to no run. */
#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "controls.h"
#include "json.h"
#include "util.h"

/* Same rule as the ledger: an observed object stays an object, anything
 * else is kept as its text. */
static json_t *jobserved(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &jerr);
	if (j && json_is_object(j))
		return j;
	json_decref(j);
	return json_string(text ? text : "");
}

static int dump(json_t *j, size_t flags, struct ax_buf *out)
{
	char *text = json_dumps(j, flags | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return ax_error_set("export: JSON encoding failed");
	ax_buf_puts(out, text);
	free(text);
	return 0;
}

int ax_export_controls_json(const struct ax_export_data *d, struct ax_buf *out)
{
	json_t *root = ax_status_to_json(d->status), *controls = json_object_get(root, "controls");
	size_t i;
	json_t *c;
	json_array_foreach(controls, i, c) {
		if (i >= d->status->ncontrols)
			break;
		double share = ax_export_pass_share(d, i);
		const struct ax_export_period_stat *p = &d->period[i];
		json_object_set_new(c, "period",
				    json_pack("{s:i,s:i,s:i,s:I,s:I,s:o,s:I,s:i,s:i,s:i,s:b}", "runs_evaluated",
					      p->runs_evaluated, "runs_passed", p->runs_passed, "changes", p->changes,
					      "seconds_evaluated", (json_int_t)p->seconds_evaluated, "seconds_passed",
					      (json_int_t)p->seconds_passed, "pass_share",
					      share < 0 ? json_null() : json_real(share), "window_seconds",
					      (json_int_t)p->window, "windows", p->windows, "windows_evaluated",
					      p->windows_evaluated, "unresolved_failures", p->unresolved, "period_test",
					      p->window ? p->period_ok : 1));
	}
	json_object_set_new(root, "period", json_pack("{s:o,s:o,s:i}", "since", ax_json_time_or_null(d->since), "until",
						      ax_json_time_or_null(d->until), "runs", (int)d->nruns));
	json_object_set_new(root, "organization", json_string(d->organization));
	if (dump(root, JSON_INDENT(2), out) < 0)
		return AX_ERROR;
	ax_buf_putc(out, '\n');
	return 0;
}

int ax_export_results_jsonl(const struct ax_export_data *d, struct ax_buf *out)
{
	size_t idx[64];
	for (size_t i = 0; i < d->evidence.nresults; i++) {
		const struct ax_result *r = &d->evidence.results[i];
		json_t *arts = json_array();
		size_t n = ax_export_run_artifacts(d, d->result_run[i], r->instance, idx, 64);
		for (size_t k = 0; k < n && k < 64; k++)
			json_array_append_new(arts, json_string(d->artifacts[idx[k]].bundle_path));
		json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "run", (json_int_t)d->result_run[i],
				      "instance", r->instance, "probe_type", r->probe_type ? r->probe_type : "",
				      "check", r->check, "status", ax_check_status_name(r->status), "message",
				      r->message ? r->message : "", "observed", jobserved(r->observed),
				      "collected_at", ax_json_time_or_null(r->collected_at), "evidence", arts);
		if (!j)
			return ax_error_set("export: result %zu of run %lld cannot be encoded", i,
					    (long long)d->result_run[i]);
		if (dump(j, JSON_COMPACT, out) < 0)
			return AX_ERROR;
		ax_buf_putc(out, '\n');
	}
	/* then one "kind": "manual" line per manual evidence item: these are
	 * no run's results (the attach, approve and revoke runs' own rows are
	 * above), so `verify` checks them against the bundle's files instead */
	return ax_export_manual_jsonl(d, out);
}

int ax_export_ledger_json(const struct ax_export_data *d, struct ax_buf *out)
{
	json_t *runs = json_array();
	for (size_t r = 0; r < d->nruns; r++) {
		const struct ax_run_info *run = &d->runs[r];
		json_t *arts = json_array();
		for (size_t i = 0; i < d->nlinks; i++) {
			if (d->links[i].run_id != run->id)
				continue;
			const struct ax_export_artifact *a = &d->artifacts[d->links[i].artifact];
			json_array_append_new(arts, json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "instance", a->instance,
							      "name", a->name, "media_type", a->media_type, "sha256",
							      a->sha256, "size", (json_int_t)a->size, "path",
							      a->bundle_path));
		}
		json_array_append_new(runs, json_pack("{s:I,s:s,s:o,s:o,s:s,s:s,s:s,s:b,s:I,s:o}", "id",
						      (json_int_t)run->id, "kind", run->kind, "started_at",
						      ax_json_time_or_null(run->started_at), "finished_at", ax_json_time_or_null(run->finished_at),
						      "prev_hash", run->prev_hash, "content_sha256", run->content_sha256,
						      "hash", run->hash, "pruned", run->pruned, "results",
						      (json_int_t)run->nresults, "artifacts", arts));
	}
	json_t *root = json_pack("{s:s,s:s,s:o,s:o,s:o}", "format", "annexa-ledger-excerpt/1", "genesis",
				 AX_LEDGER_GENESIS, "first_prev_hash",
				 d->nruns ? json_string(d->runs[0].prev_hash) : json_null(), "last_hash",
				 d->nruns ? json_string(d->runs[d->nruns - 1].hash) : json_null(), "runs", runs);
	json_object_set_new(root, "store_head",
			    d->have_store_head ? json_pack("{s:I,s:s}", "id", (json_int_t)d->store_head.id, "hash",
							   d->store_head.hash)
					       : json_null());
	json_object_set_new(root, "rule",
			    json_string("content_sha256 = SHA-256 of the run's canonical JSON (see annexa "
					"collector/ledger.c); hash = SHA-256(prev_hash \":\" content_sha256); the "
					"first run of the store has prev_hash = genesis"));
	if (dump(root, JSON_INDENT(2), out) < 0)
		return AX_ERROR;
	ax_buf_putc(out, '\n');
	return 0;
}

int ax_export_soa_csv(const struct ax_export_data *d, struct ax_buf *out)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	int err;
	if (!f)
		return ax_error_set("export: out of memory");
	err = ax_soa_write_csv(d->status, d->cfg, ',', f);
	fclose(f);
	if (err == 0)
		ax_buf_put(out, mem, len);
	free(mem);
	return err < 0 ? err : 0;
}

int ax_export_soa_xlsx(const struct ax_export_data *d, struct ax_buf *out)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = ax_asprintf("%s/annexa-soa-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *path = NULL;
	int err;
	/* a folder of our own (0700): libxlsxwriter creates the file by name */
	if (!mkdtemp(dir)) {
		err = ax_error_set("export: cannot make a temporary folder under %s: %s", tmp && *tmp ? tmp : "/tmp",
				   strerror(errno));
		goto cleanup;
	}
	path = ax_asprintf("%s/soa.xlsx", dir);
	err = ax_soa_write_xlsx(d->status, d->cfg, d->organization, path);
	if (err == 0)
		err = ax_file_read(path, (size_t)64 << 20, out);
	unlink(path);
	rmdir(dir);
cleanup:
	free(path);
	free(dir);
	return err < 0 ? err : 0;
}
