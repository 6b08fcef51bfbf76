/* metrics.c - the Prometheus textfile (see metrics.h). Label values are
 * escaped per the exposition format; names are fixed here. */
#include "metrics.h"

#include "buf.h"
#include "controls.h"
#include "util.h"

static void label(struct ax_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			ax_buf_putc(b, '\\');
		if (*v == '\n')
			ax_buf_puts(b, "\\n");
		else
			ax_buf_putc(b, *v);
	}
}

int ax_metrics_write(const char *path, const struct ax_status *st, const struct ax_probe_stats *stats, size_t n,
		     int64_t store_bytes, int64_t now)
{
	struct ax_buf b = AX_BUF_INIT;
	int err;
	ax_buf_puts(&b, "# HELP annexa_control_status 1 for the control's current status.\n"
			"# TYPE annexa_control_status gauge\n");
	for (size_t i = 0; st && i < st->ncontrols; i++) {
		for (int s = 0; s < AX_CTL__COUNT; s++) {
			ax_buf_puts(&b, "annexa_control_status{control=\"");
			label(&b, st->controls[i].control->id);
			ax_buf_printf(&b, "\",status=\"%s\"} %d\n", ax_control_status_name((enum ax_control_status)s),
				      st->controls[i].status == (enum ax_control_status)s);
		}
	}
	ax_buf_puts(&b, "# HELP annexa_controls Number of controls per status.\n# TYPE annexa_controls gauge\n");
	for (int s = 0; st && s < AX_CTL__COUNT; s++)
		ax_buf_printf(&b, "annexa_controls{status=\"%s\"} %d\n", ax_control_status_name((enum ax_control_status)s),
			      st->counts[s]);
	ax_buf_puts(&b, "# HELP annexa_probe_last_run_timestamp_seconds When the instance last ran.\n"
			"# TYPE annexa_probe_last_run_timestamp_seconds gauge\n");
	for (size_t i = 0; i < n; i++) {
		ax_buf_puts(&b, "annexa_probe_last_run_timestamp_seconds{probe=\"");
		label(&b, stats[i].instance);
		ax_buf_printf(&b, "\"} %lld\n", (long long)stats[i].last_run);
	}
	ax_buf_puts(&b, "# HELP annexa_probe_duration_seconds Wall time of the instance's last run.\n"
			"# TYPE annexa_probe_duration_seconds gauge\n");
	for (size_t i = 0; i < n; i++) {
		ax_buf_puts(&b, "annexa_probe_duration_seconds{probe=\"");
		label(&b, stats[i].instance);
		ax_buf_printf(&b, "\"} %.3f\n", (double)stats[i].duration_ms / 1000.0);
	}
	ax_buf_puts(&b, "# HELP annexa_probe_checks Check results of the instance's last run.\n"
			"# TYPE annexa_probe_checks gauge\n");
	for (size_t i = 0; i < n; i++) {
		for (int s = 0; s < AX_CHECK_NSTATUS; s++) {
			ax_buf_puts(&b, "annexa_probe_checks{probe=\"");
			label(&b, stats[i].instance);
			ax_buf_printf(&b, "\",status=\"%s\"} %d\n", ax_check_status_name((enum ax_check_status)s),
				      stats[i].results[s]);
		}
	}
	ax_buf_puts(&b, "# HELP annexa_probe_errors Checks in error in the instance's last run.\n"
			"# TYPE annexa_probe_errors gauge\n");
	for (size_t i = 0; i < n; i++) {
		ax_buf_puts(&b, "annexa_probe_errors{probe=\"");
		label(&b, stats[i].instance);
		ax_buf_printf(&b, "\"} %d\n", stats[i].results[AX_CHECK_ERROR]);
	}
	ax_buf_puts(&b, "# HELP annexa_probe_consecutive_failures Runs in a row in which the instance failed to run.\n"
			"# TYPE annexa_probe_consecutive_failures gauge\n");
	for (size_t i = 0; i < n; i++) {
		ax_buf_puts(&b, "annexa_probe_consecutive_failures{probe=\"");
		label(&b, stats[i].instance);
		ax_buf_printf(&b, "\"} %d\n", stats[i].consecutive_failures);
	}
	if (store_bytes >= 0)
		ax_buf_printf(&b, "# HELP annexa_store_bytes Size of the evidence store (database and its write-ahead log).\n"
				  "# TYPE annexa_store_bytes gauge\nannexa_store_bytes %lld\n",
			      (long long)store_bytes);
	ax_buf_printf(&b, "# HELP annexa_metrics_timestamp_seconds When this file was written.\n"
			  "# TYPE annexa_metrics_timestamp_seconds gauge\nannexa_metrics_timestamp_seconds %lld\n",
		      (long long)now);
	err = ax_file_write_atomic(path, b.ptr, b.size, 0644);
	ax_buf_free(&b);
	return err;
}
