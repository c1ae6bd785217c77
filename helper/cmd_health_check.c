/* health-check: wait until service ports accept TCP connections.
 * With --port: localhost, every port must answer. Without: the host and ports
 * come from *_TCP_ADDR / *_TCP_PORT variables and any one port is enough. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../net/tcp.h"
#include "app.h"
#include "buf.h"
#include "error.h"
#include "flags.h"
#include "log.h"

extern char **environ;

#define DIAL_TIMEOUT_MS (5 * 60 * 1000)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static size_t succeeded;

struct target {
	const char *host;
	const char *port;
};

/* Go prints "%s:%s" here, without brackets around IPv6 literals. */
static void say(const char *before, const struct target *t, const char *after)
{
	pthread_mutex_lock(&lock);
	printf("%s%s:%s%s\n", before, t->host, t->port, after);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
}

static void *dial_until_up(void *arg)
{
	const struct target *t = arg;
	int fd;

	for (;;) {
		say("dialing ", t, "...");
		if (tcp_connect(&fd, t->host, t->port, DIAL_TIMEOUT_MS) == 0)
			break;
		log_debug("%s", err_last()->msg);
		sleep(1);
	}
	close(fd);
	say("dial succeeded on ", t, ". Exiting...");
	pthread_mutex_lock(&lock);
	succeeded++;
	pthread_cond_signal(&done);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Docker executor: WAIT_FOR_SERVICE_TCP_ADDR=<id>, WAIT_FOR_SERVICE_<p>_TCP_PORT=<p>. */
static int ports_from_env(const char **host, struct flag_list *ports)
{
	static const char addr_sfx[] = "_TCP_ADDR", port_sfx[] = "_TCP_PORT";

	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t nlen;

		if (!eq || strchr(eq + 1, '='))
			continue;
		nlen = (size_t)(eq - *e);
		if (nlen >= sizeof(addr_sfx) - 1 &&
		    !strncmp(eq - (sizeof(addr_sfx) - 1), addr_sfx, sizeof(addr_sfx) - 1)) {
			*host = eq + 1;
		} else if (nlen >= sizeof(port_sfx) - 1 &&
			   !strncmp(eq - (sizeof(port_sfx) - 1), port_sfx, sizeof(port_sfx) - 1)) {
			const char **v = realloc(ports->v, (ports->n + 1) * sizeof(*v));
			if (!v)
				return err_set(CIH_ENOMEM, "out of memory");
			v[ports->n++] = eq + 1;
			ports->v = v;
		}
	}
	return 0;
}

int cmd_health_check(int argc, char **argv)
{
	struct flag_list ports = { 0 };
	const struct flag flags[] = {
		{ "port", "p", FLAG_LIST, &ports, NULL, "port to wait for on localhost (repeatable)", 0, NULL },
	};
	struct target *targets = NULL;
	pthread_t tid;
	const char *host = NULL;
	struct buf list = BUF_INIT;
	size_t need, started = 0;
	int rc;

	argc--, argv++;
	if (app_command_flags(flags, 1, &argc, &argv, &rc))
		goto out;
	rc = 1;
	if (ports.n) {
		host = "localhost";
		need = ports.n;
	} else {
		if (ports_from_env(&host, &ports) < 0) {
			app_fatal_error(NULL);
			goto out;
		}
		need = 1;
	}
	if (!host || !*host || ports.n == 0) {
		log_fatal("No HOST or PORT found");
		goto out;
	}
	for (size_t i = 0; i < ports.n; i++)
		buf_printf(&list, "%s%s", i ? " " : "", ports.v[i]);
	printf("waiting for TCP connection to %s on [%s]...\n", host, buf_cstr(&list));
	fflush(stdout);

	if (!(targets = calloc(ports.n, sizeof(*targets)))) {
		log_fatal("out of memory");
		goto out;
	}
	for (size_t i = 0; i < ports.n; i++) {
		targets[i] = (struct target){ host, ports.v[i] };
		if (pthread_create(&tid, NULL, dial_until_up, &targets[i]) != 0) {
			log_fatal("cannot start a thread");
			goto out;
		}
		pthread_detach(tid);
		started++;
	}
	pthread_mutex_lock(&lock);
	while (succeeded < need)
		pthread_cond_wait(&done, &lock);
	pthread_mutex_unlock(&lock);
	rc = 0;
out:
	buf_dispose(&list);
	if (!started) { /* once dialers run, they own targets and ports until exit */
		free(targets);
		flags_list_dispose(&ports);
	}
	return rc;
}
