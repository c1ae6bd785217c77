/* The zip reader and safe extractor: name rules, Info-ZIP interop, hostile corpus. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../archive/extract.h"
#include "../../helper/buf.h"
#include "unit.h"

TEST(extract_names_are_cleaned_or_refused)
{
	static const struct { const char *in, *out; bool dir; int rc; } cases[] = {
		{ "a/b.txt", "a/b.txt", false, 0 },
		{ "a/./b/../c", "a/c", false, 0 },
		{ "a/../b.txt", "b.txt", false, 0 },
		{ "dir/", "dir", true, 0 },
		{ "./", "", true, 0 },
		{ "a//b", "a/b", false, 0 },
		{ "/etc/passwd", NULL, false, CIH_EUNSAFE },
		{ "../evil", NULL, false, CIH_EUNSAFE },
		{ "a/../../evil", NULL, false, CIH_EUNSAFE },
		{ "", NULL, false, CIH_EUNSAFE },
	};
	char out[4096];
	bool dir;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = extract_clean_name(out, sizeof(out), cases[i].in, &dir);
		if (rc != cases[i].rc || (rc == 0 && (strcmp(out, cases[i].out) || dir != cases[i].dir)))
			unit_fail(__FILE__, __LINE__, "'%s': rc %d out '%s'", cases[i].in, rc, rc ? "" : out);
	}
	memset(out, 'a', 300);
	out[300] = '\0';
	CHECK_FAILS(extract_clean_name(out + 1000, 3000, out, &dir), CIH_EUNSAFE);
	CHECK_ERR("name too long");
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

/* "mode target-or-size mtime" for every path under dir, sorted (find + stat). */
TEST(extract_reads_info_zip_archives_exactly)
{
	struct extract_stats st;
	struct buf want = BUF_INIT, got = BUF_INIT;

	sh("mkdir -p src/dir/sub && cd src && printf hello > a.txt && : > empty && "
	   "head -c 300000 /dev/urandom > dir/random.bin && seq 1 100000 > dir/sub/seq.txt && "
	   "printf '#!/bin/sh\\n' > run.sh && chmod 755 run.sh && chmod 600 a.txt && "
	   "ln -s dir/sub/seq.txt link && ln -s ../a.txt dir/up && "
	   "touch -d '2021-03-04 05:06:07' a.txt dir/random.bin && "
	   "zip -qry ../t.zip . && cd .. && mkdir out");
	unit_describe_tree("src", &want);
	CHECK(chdir("out") == 0);
	CHECK_OK(extract_zip("../t.zip", 4, &st));
	CHECK(chdir("..") == 0);
	unit_describe_tree("out", &got);
	CHECK_STR(buf_cstr(&got), buf_cstr(&want));
	CHECK_INT(st.files, 5);
	CHECK_INT(st.symlinks, 2);
	buf_dispose(&want);
	buf_dispose(&got);
}

TEST(extract_replaces_existing_paths_and_leaves_no_temp_files)
{
	struct extract_stats st;
	struct buf got = BUF_INIT;

	sh("mkdir -p src/d && printf new > src/f && printf new > src/d/g && ln -s f src/l && "
	   "cd src && zip -qry ../t.zip . && cd .. && "
	   "mkdir -p out/d/g && printf old > out/f && ln -s /nonexistent out/l");
	CHECK(chdir("out") == 0);
	CHECK_OK(extract_zip("../t.zip", 4, &st)); /* an empty directory in the way is replaced */
	CHECK(chdir("..") == 0);
	unit_describe_tree("out", &got);
	CHECK(strstr(buf_cstr(&got), "./f 644 3"));
	CHECK(strstr(buf_cstr(&got), "./d/g 644 3"));
	CHECK(strstr(buf_cstr(&got), "./l link f"));
	CHECK(!strstr(buf_cstr(&got), ".cih-"));
	buf_dispose(&got);
}

TEST(extract_refuses_to_write_through_an_outside_symlink)
{
	struct extract_stats st;

	sh("mkdir -p src/vendor outside && printf x > src/vendor/x && cd src && zip -qry ../t.zip . && "
	   "cd .. && mkdir out && ln -s ../outside out/vendor");
	CHECK(chdir("out") == 0);
	CHECK_FAILS(extract_zip("../t.zip", 4, &st), CIH_EUNSAFE);
	CHECK(chdir("..") == 0);
	CHECK_ERR("'vendor' is a symlink out of the target");
	CHECK(access("outside/x", F_OK) != 0);
	sh("rm out/vendor && mkdir out/real && ln -s real out/vendor"); /* inside: followed */
	CHECK(chdir("out") == 0);
	CHECK_OK(extract_zip("../t.zip", 4, &st));
	CHECK(chdir("..") == 0);
	CHECK(access("out/real/x", F_OK) == 0);
}

/* Lists T without T/target: anything there was written outside the target. */
static void check_outside_clean(const char *case_name)
{
	DIR *d = opendir(".");
	struct dirent *e;

	CHECK(d != NULL);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "target"))
			unit_fail(__FILE__, __LINE__, "case %s: '%s' appeared outside the target",
				  case_name, e->d_name);
	closedir(d);
}

TEST(extract_hostile_corpus_is_refused_or_neutralised)
{
	const char *dir = getenv("CIH_TESTS_DIR");
	char cmd[1024], line[2048], name[128], expect[16], error[256], where[1100];
	struct extract_stats st;
	FILE *p;
	size_t cases = 0;

	if (!dir)
		unit_skip("CIH_TESTS_DIR is not set (scripts/run-tests sets it)");
	snprintf(cmd, sizeof(cmd), "python3 '%s/corpus/gen-unsafe.py' corpus >/dev/null && python3 -c '"
		 "import json; [print(c[\"name\"], c[\"expect\"], c.get(\"error\", \"-\").replace(\" \", \"_\")) "
		 "for c in json.load(open(\"corpus/cases.json\"))]'", dir);
	CHECK((p = popen(cmd, "r")) != NULL);
	while (fgets(line, sizeof(line), p)) {
		int rc;
		if (sscanf(line, "%127s %15s %255s", name, expect, error) != 3)
			continue;
		for (char *c = error; *c; c++)
			if (*c == '_')
				*c = ' ';
		snprintf(where, sizeof(where), "case-%s", name);
		CHECK(mkdir(where, 0700) == 0 && chdir(where) == 0 && mkdir("target", 0700) == 0);
		CHECK(chdir("target") == 0);
		snprintf(cmd, sizeof(cmd), "../../corpus/%s.zip", name);
		rc = extract_zip(cmd, 3, &st);
		CHECK(chdir("..") == 0);
		check_outside_clean(name);
		if (!strcmp(expect, "refuse") && (rc >= 0 || !strstr(err_last()->msg, error)))
			unit_fail(__FILE__, __LINE__, "case %s: want a refusal with \"%s\", got %d: %s", name,
				  error, rc, rc < 0 ? err_last()->msg : "success");
		if (!strcmp(expect, "neutralise") && rc < 0)
			unit_fail(__FILE__, __LINE__, "case %s: want success, got: %s", name, err_last()->msg);
		if (!strncmp(name, "dup_", 4)) { /* the last entry of a name wins */
			char buf[16] = "";
			FILE *f = fopen("target/x", "r");
			struct stat sb;
			CHECK(lstat("target/x", &sb) == 0 && S_ISREG(sb.st_mode));
			CHECK(f && fgets(buf, sizeof(buf), f));
			fclose(f);
			CHECK_STR(buf, "last\n");
		}
		if (!strcmp(name, "ok")) {
			struct stat sb;
			CHECK(lstat("target/link", &sb) == 0 && S_ISLNK(sb.st_mode));
			CHECK(stat("target/dir/run.sh", &sb) == 0 && (sb.st_mode & 0777) == 0755);
		}
		if (!strcmp(name, "dotdot_inside"))
			CHECK(access("target/b.txt", F_OK) == 0);
		if (!strcmp(name, "setuid")) {
			struct stat sb;
			DIR *d = opendir("target");
			struct dirent *e;
			while (d && (e = readdir(d))) {
				char f[600];
				snprintf(f, sizeof(f), "target/%s", e->d_name);
				if (e->d_name[0] != '.' && lstat(f, &sb) == 0 && (sb.st_mode & 07000))
					unit_fail(__FILE__, __LINE__, "setuid: %s kept mode %o", f, sb.st_mode & 07777);
			}
			if (d)
				closedir(d);
		}
		CHECK(chdir("..") == 0);
		cases++;
	}
	pclose(p);
	CHECK(cases >= 15);
}
