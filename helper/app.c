#include "app.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "flags.h"
#include "log.h"
#include "version.h"

#define COMMAND(name, entry, opts, usage) int entry(int argc, char **argv);
#include "commands.h"
#undef COMMAND

static const struct command commands[] = {
#define COMMAND(name, entry, opts, usage) { name, entry, opts, usage },
#include "commands.h"
#undef COMMAND
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *app_name = "gitlab-runner-helper";
static const struct command *current;
static bool help_only; /* `help <command>`: show the command's help, parse nothing */

static void write_out(const struct buf *b)
{
	fwrite(buf_cstr(b), 1, b->len, stdout);
	fflush(stdout);
}

static void app_help(struct buf *out, const struct flag *gflags, size_t ng)
{
	struct buf v = BUF_INIT;
	size_t width = strlen("help, h");

	version_short(&v);
	buf_printf(out,
		   "NAME:\n   %s - a GitLab Runner Helper\n\nUSAGE:\n   %s [global options] "
		   "command [command options] [arguments...]\n\nVERSION:\n   %s\n\nCOMMANDS:\n",
		   app_name, app_name, buf_cstr(&v));
	for (size_t i = 0; i < NCOMMANDS; i++)
		width = strlen(commands[i].name) > width ? strlen(commands[i].name) : width;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		buf_puts(out, "   ");
		buf_pad(out, commands[i].name, width + 2);
		buf_printf(out, "%s\n", commands[i].usage);
	}
	buf_puts(out, "   ");
	buf_pad(out, "help, h", width + 2);
	buf_puts(out, "Shows a list of commands or help for one command\n\nGLOBAL OPTIONS:\n");
	flags_help(out, gflags, ng);
	buf_dispose(&v);
}

static const struct flag help_flag = { "help", "h", FLAG_BOOL, NULL, NULL, "show help", 0, NULL };

static void command_help(struct buf *out, const struct command *cmd, const struct flag *flags,
			 size_t n)
{
	buf_printf(out, "NAME:\n   %s %s - %s\n\nUSAGE:\n   %s %s [command options] [arguments...]"
			"\n\nOPTIONS:\n",
		   app_name, cmd->name, cmd->usage, app_name, cmd->name);
	flags_help(out, flags, n);
}

int app_fatal_error(const char *what)
{
	if (what)
		log_with_error(LOG_FATAL, "%s", what);
	else
		log_fatal("%s", err_last()->msg);
	return 1;
}

bool app_command_flags(const struct flag *flags, size_t n, int *argc, char ***argv, int *status)
{
	struct flag all[48];
	struct buf out = BUF_INIT;
	bool help = false;
	int rc;

	if (n + 1 > sizeof(all) / sizeof(all[0]))
		n = sizeof(all) / sizeof(all[0]) - 1;
	if (n)
		memcpy(all, flags, n * sizeof(*flags));
	all[n] = help_flag;
	all[n].dest = &help;
	rc = help_only ? 0 : flags_parse(all, n + 1, FLAGS_COMMAND, argc, argv, NULL);
	help = help || help_only;
	if (rc < 0 || help) {
		if (rc < 0)
			buf_printf(&out, "Incorrect Usage: %s\n\n", err_last()->msg);
		command_help(&out, current, all, n + 1);
		write_out(&out);
		buf_dispose(&out);
		if (rc < 0)
			log_fatal("%s", err_last()->msg);
		*status = rc < 0 ? 1 : 0;
		return true;
	}
	return false;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int show_help_for(const char *name, const struct flag *gflags, size_t ng)
{
	struct buf out = BUF_INIT;
	const struct command *cmd = name ? find_command(name) : NULL;

	if (name && !cmd && strcmp(name, "help") && strcmp(name, "h")) {
		/* the runner's CommandNotFound handler answers unknown help topics too */
		log_fatal("Command %s not found", name);
		return 1;
	}
	if (cmd) {
		/* the command knows its flags: it prints its help without parsing anything */
		char *args[] = { (char *)cmd->name, NULL };
		current = cmd;
		help_only = true;
		return cmd->entry(1, args);
	} else {
		app_help(&out, gflags, ng);
	}
	write_out(&out);
	buf_dispose(&out);
	return 0;
}

int app_main(int argc, char **argv)
{
	bool debug = false, help = false, version = false, level_set = false, format_set = false;
	const char *log_format = NULL, *log_level = NULL;
	enum log_level level;
	enum log_format format;
	const struct flag gflags[] = {
		{ "debug", NULL, FLAG_BOOL, &debug, "RUNNER_DEBUG", "debug mode",
		  FLAG_ENV_EMPTY_FALSE | FLAG_NATIVE, NULL },
		{ "log-format", NULL, FLAG_STR, &log_format, "LOG_FORMAT",
		  "Choose log format (options: runner, text, json)", FLAG_NATIVE, &format_set },
		{ "log-level", "l", FLAG_STR, &log_level, "LOG_LEVEL",
		  "Log level (options: debug, info, warn, error, fatal, panic)", FLAG_NATIVE,
		  &level_set },
		{ "help", "h", FLAG_BOOL, &help, NULL, "show help", FLAG_NATIVE, NULL },
		{ "version", "v", FLAG_BOOL, &version, NULL, "print the version", FLAG_NATIVE, NULL },
	};
	const size_t ng = sizeof(gflags) / sizeof(gflags[0]);
	const struct command *cmd;
	struct buf out = BUF_INIT;
	const char *slash = strrchr(argv[0], '/');
	enum flags_stage stage;

	app_name = slash ? slash + 1 : argv[0];
	argc--, argv++;
	if (flags_parse(gflags, ng, FLAGS_APP, &argc, &argv, &stage) < 0) {
		/* urfave's App.Run: an env error is only returned (logged fatal), a
		 * two-forms error prints bare, a parse error as "Incorrect Usage." */
		if (stage != FLAGS_STAGE_ENV) {
			if (stage == FLAGS_STAGE_ARGS)
				buf_printf(&out, "Incorrect Usage. %s\n\n", err_last()->msg);
			else
				buf_printf(&out, "%s\n", err_last()->msg);
			app_help(&out, gflags, ng);
			write_out(&out);
			buf_dispose(&out);
		}
		log_fatal("%s", err_last()->msg);
		return 1;
	}
	if (help)
		return show_help_for(NULL, gflags, ng);
	if (version) {
		version_block(&out);
		write_out(&out);
		buf_dispose(&out);
		return 0;
	}

	if (level_set) {
		if (log_level_parse(&level, log_level) < 0)
			return app_fatal_error("Error while setting up logging configuration");
		log_set_level(level);
	}
	if (debug)
		log_set_level(LOG_DEBUG);
	if (format_set) {
		if (log_format_parse(&format, log_format) < 0)
			return app_fatal_error("Error while setting up logging configuration");
		log_set_format(format);
	}

	if (argc == 0)
		return show_help_for(NULL, gflags, ng);
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "h"))
		return show_help_for(argc > 1 ? argv[1] : NULL, gflags, ng);
	if (!(cmd = find_command(argv[0]))) {
		log_fatal("Command %s not found", argv[0]);
		return 1;
	}
	current = cmd;
	if (cmd->opts & CMD_RUNNER_LOG)
		log_set_format(LOG_FMT_RUNNER);
	return cmd->entry(argc, argv);
}
