#include "meter.h"

#include <stdio.h>
#include <time.h>
#include "clock.h"

/* Decimal units: "N B" below 1000, else "%.2f KB" ... "EB" (with fmt for the rate). */
static void human(char *out, size_t size, double v, const char *suffix, int decimals)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB", "PB", "EB" };
	int u = -1;

	if (v < 1000) {
		snprintf(out, size, "%.0f B%s", v, suffix);
		return;
	}
	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(out, size, "%.*f %s%s", decimals, v, units[u], suffix);
}

static void print_line(struct meter *m, const char *end)
{
	char done[32], total[40] = "", rate[32];
	double secs = (double)(clock_now_ms() - m->start_ms) / 1000.0;

	human(done, sizeof(done), (double)m->bytes, "", 2);
	if (m->total > 0) {
		total[0] = '/';
		human(total + 1, sizeof(total) - 1, (double)m->total, "", 2);
	}
	human(rate, sizeof(rate), secs > 0 ? (double)m->bytes / secs : 0, "/s", 1);
	printf("\r%s %s%s (%s)                %s", m->label, done, total, rate, end);
	fflush(stdout);
}

void meter_start(struct meter *m, const char *label, int64_t total, int64_t freq_ns)
{
	*m = (struct meter){ .label = label, .total = total, .on = freq_ns > 0 };
	if (!m->on)
		return;
	m->every_ms = freq_ns < 1000000000 ? 1000 : freq_ns / 1000000;
	m->start_ms = m->last_ms = clock_now_ms();
	print_line(m, "");
}

void meter_add(struct meter *m, size_t n)
{
	m->bytes += n;
	if (m->on && clock_now_ms() - m->last_ms >= m->every_ms) {
		m->last_ms = clock_now_ms();
		print_line(m, "");
	}
}

void meter_done(struct meter *m)
{
	if (m->on)
		print_line(m, "\n");
	m->on = false;
}
