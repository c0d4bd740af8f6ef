/* SPDX-License-Identifier: MIT */
/* workerpoolctl: the command-line client of org.workerpoold1, in the dialect
 * of systemctl. See workerpoolctl(1). Here: the options, --help and the
 * table of verbs; the verbs are in ctl-*.c (see ctl.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "config-build.h"
#include "../bus/bus-util.h"
#include "../shared/parse-util.h"
#include "../shared/string-util.h"
#include "../shared/strv.h"
#include "ctl.h"

Transport arg_transport;
const char *arg_host;
const char *arg_address;
JsonMode arg_json = JSON_OFF;
bool arg_runtime;
bool arg_follow;
bool arg_verbose;
bool arg_legend = true;
static bool arg_pager = true;
bool arg_all;
bool arg_value;
bool arg_quiet;
bool arg_no_block;
static bool arg_help;
char **arg_properties;
const char *arg_state = "";
const char *arg_pool = "";
const char *arg_reason = "";
const char *arg_type;
const char *arg_since;
const char *arg_signal = "SIGTERM";
uint32_t arg_lines = 0;

static void help(void) {
        pager_open(!arg_pager);
        printf("Usage: workerpoolctl [OPTIONS] COMMAND ...\n\n"
               "Query and control workerpoold, the worker pool supervisor.\n\n"
               "Pool commands:\n"
               "  list-pools                   List the pools (the default command)\n"
               "  list-sockets [POOL...]       List the listening sockets of the pools ([Socket])\n"
               "  status [POOL|WORKER...]      Show pools: state, workers, limits, usage, last exits;\n"
               "                               or workers (by id): state, jobs, hang capture\n"
               "  show [POOL|WORKER...]        Show the properties of pools or workers, or of the manager\n"
               "  cat POOL...                  Show the files and settings of pools, as loaded\n"
               "  is-active POOL...            Check whether pools are active\n"
               "  is-failed POOL...            Check whether pools have failed\n"
               "  start POOL...                Start pools, wait until they run\n"
               "  stop POOL...                 Stop pools, wait until every worker is gone\n"
               "  restart POOL...              Rolling restart of pools, wait until it is done\n"
               "  reload POOL...               Send ReloadSignal= to the workers of pools, wait until\n"
               "                               they are ready again\n"
               "  scale POOL N                 Run N workers in POOL, wait until they run\n"
               "  set-property POOL KEY=VALUE...  Change limits and settings live (and persist them\n"
               "                               unless --runtime); waits if Workers= is one of them\n"
               "  reset-failed POOL...         Leave the failed state\n"
               "  kill WORKER|POOL...          Send a signal to a worker, or every worker of a pool\n"
               "  freeze WORKER|POOL...        Freeze a worker, or every worker of a pool (cgroup.freeze)\n"
               "  thaw WORKER|POOL...          Thaw them again\n\n"
               "Worker commands:\n"
               "  list-workers                 List the workers (--pool=, --state=)\n"
               "  diagnose WORKER              Capture where a worker is (threads, kernel and user\n"
               "                               stacks), without stopping it\n"
               "  events                       Show why workers exited (--pool=, --reason=, -n, --follow,\n"
               "                               -o verbose for every field and the hang capture); with\n"
               "                               --type= or --since=, every lifecycle event\n\n"
               "Manager commands:\n"
               "  metrics                      Print every pool's metrics in Prometheus' text format\n"
               "                               (for node_exporter's textfile collector)\n"
               "  daemon-reload                Reload the configuration\n"
               "  reload                       Without a pool: the same as daemon-reload\n"
               "  reexec                       Re-execute the daemon in place, keeping every worker\n"
               "  help                         Show this help\n\n"
               "Options:\n"
               "  -h --help                    Show this help\n"
               "     --version                 Show the version\n"
               "  -p --property=NAME[,NAME...] show: only these properties\n"
               "  -a --all                     show: also the properties that are empty\n"
               "     --value                   show: only the values, without NAME=\n"
               "     --json[=short|pretty|off] JSON output for listings, status, show and events\n"
               "  -o --output=json|json-pretty|short|verbose\n"
               "                               The same as --json=short, --json=pretty, --json=off;\n"
               "                               verbose: events with every field and the capture\n"
               "     --no-pager                Do not pipe the output into a pager\n"
               "     --no-legend               No column headers and summary lines\n"
               "     --no-block                Do not wait for start, stop, restart, reload, scale to finish\n"
               "  -q --quiet                   is-active, is-failed: print nothing, only the exit status\n"
               "  -H --host=[USER@]HOST        Operate on a remote host (over ssh)\n"
               "     --system                  Talk to the daemon on the system bus (default)\n"
               "     --user                    Talk to the daemon on the session bus\n"
               "     --bus=ADDRESS             Talk to the daemon on the bus at ADDRESS\n"
               "     --runtime                 set-property: do not persist the change\n"
               "     --pool=POOL               Only this pool (list-workers, events)\n"
               "     --state=STATE             Only workers in this state (list-workers)\n"
               "     --reason=REASON           Only exits for this reason (events)\n"
               "     --type=TYPE[,TYPE...]|all  events: lifecycle events of these types (started, ready,\n"
               "                               stopping, exited, state, scale, reload, reexec, health,\n"
               "                               command)\n"
               "     --since=TIME              events: only from TIME on (YYYY-MM-DD [HH:MM[:SS]],\n"
               "                               @SECONDS, -SPAN)\n"
               "  -n --lines=N                 Only the last N events\n"
               "  -f --follow                  events: keep printing exits as they happen\n"
               "  -s --signal=SIGNAL           kill: which signal (default SIGTERM)\n\n"
               "A WORKER is a numeric worker id (see list-workers); any other word names a pool.\n"
               "Exit status: 0 success, 1 failure (is-failed: no pool failed), 2 usage error,\n"
               "3 a pool is not active (is-active), 4 no such pool or worker.\n"
               "See workerpoolctl(1) and org.workerpoold1(5).\n");
}

/* ---- main ------------------------------------------------------------------- */

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_LEGEND,
        ARG_NO_PAGER,
        ARG_NO_BLOCK,
        ARG_VALUE,
        ARG_SYSTEM,
        ARG_USER,
        ARG_BUS,
        ARG_RUNTIME,
        ARG_POOL,
        ARG_STATE,
        ARG_REASON,
        ARG_TYPE,
        ARG_SINCE,
};

static int parse_json_mode(const char *s, JsonMode *ret) {
        if (!s || streq(s, "short"))
                *ret = JSON_SHORT;
        else if (streq(s, "pretty"))
                *ret = JSON_PRETTY;
        else if (streq(s, "off"))
                *ret = JSON_OFF;
        else
                return -EINVAL;
        return 0;
}

static int add_properties(const char *list) {
        _cleanup_(freep) char *copy = strdup(list);

        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
                if (!strv_find(arg_properties, p) && strv_extend(&arg_properties, p) < 0)
                        return -ENOMEM;
        /* -p '' still means "only the properties asked for" (none), as for systemctl */
        if (!arg_properties) {
                arg_properties = calloc(1, sizeof(char *));
                if (!arg_properties)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "version",   no_argument,       NULL, ARG_VERSION   },
                { "json",      optional_argument, NULL, ARG_JSON      },
                { "output",    required_argument, NULL, 'o'           },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "no-pager",  no_argument,       NULL, ARG_NO_PAGER  },
                { "no-block",  no_argument,       NULL, ARG_NO_BLOCK  },
                { "property",  required_argument, NULL, 'p'           },
                { "all",       no_argument,       NULL, 'a'           },
                { "value",     no_argument,       NULL, ARG_VALUE     },
                { "quiet",     no_argument,       NULL, 'q'           },
                { "host",      required_argument, NULL, 'H'           },
                { "system",    no_argument,       NULL, ARG_SYSTEM    },
                { "user",      no_argument,       NULL, ARG_USER      },
                { "bus",       required_argument, NULL, ARG_BUS       },
                { "runtime",   no_argument,       NULL, ARG_RUNTIME   },
                { "pool",      required_argument, NULL, ARG_POOL      },
                { "state",     required_argument, NULL, ARG_STATE     },
                { "reason",    required_argument, NULL, ARG_REASON    },
                { "type",      required_argument, NULL, ARG_TYPE      },
                { "since",     required_argument, NULL, ARG_SINCE     },
                { "lines",     required_argument, NULL, 'n'           },
                { "follow",    no_argument,       NULL, 'f'           },
                { "signal",    required_argument, NULL, 's'           },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hH:n:fs:p:aqo:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        arg_help = true;        /* after every option: --no-pager may follow */
                        break;
                case ARG_VERSION:
                        printf("workerpoolctl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        if (optarg && streq(optarg, "help")) {
                                printf("short\npretty\noff\n");
                                return 0;
                        }
                        if (parse_json_mode(optarg, &arg_json) < 0) {
                                fprintf(stderr, "Unknown JSON mode: %s (short, pretty or off)\n", optarg);
                                return -EXIT_USAGE;
                        }
                        break;
                case 'o':
                        /* journalctl's names for the same */
                        if (streq(optarg, "help")) {
                                printf("short\nverbose\njson\njson-pretty\n");
                                return 0;
                        }
                        arg_verbose = false;
                        if (streq(optarg, "json"))
                                arg_json = JSON_SHORT;
                        else if (streq(optarg, "json-pretty"))
                                arg_json = JSON_PRETTY;
                        else if (streq(optarg, "short"))
                                arg_json = JSON_OFF;
                        else if (streq(optarg, "verbose")) {
                                arg_json = JSON_OFF;
                                arg_verbose = true;
                        } else {
                                fprintf(stderr, "Unknown output mode: %s (short, verbose, json or json-pretty)\n",
                                        optarg);
                                return -EXIT_USAGE;
                        }
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_PAGER:
                        arg_pager = false;
                        break;
                case ARG_NO_BLOCK:
                        arg_no_block = true;
                        break;
                case 'p':
                        if (add_properties(optarg) < 0)
                                return -EXIT_FAIL;
                        break;
                case 'a':
                        arg_all = true;
                        break;
                case ARG_VALUE:
                        arg_value = true;
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case 'H':
                        arg_transport = TRANSPORT_REMOTE;
                        arg_host = optarg;
                        break;
                case ARG_SYSTEM:
                        arg_transport = TRANSPORT_SYSTEM;
                        break;
                case ARG_USER:
                        arg_transport = TRANSPORT_USER;
                        break;
                case ARG_BUS:
                        arg_transport = TRANSPORT_ADDRESS;
                        arg_address = optarg;
                        break;
                case ARG_RUNTIME:
                        arg_runtime = true;
                        break;
                case ARG_POOL:
                        arg_pool = optarg;
                        break;
                case ARG_STATE:
                        arg_state = optarg;
                        break;
                case ARG_REASON:
                        arg_reason = optarg;
                        break;
                case ARG_TYPE:
                        arg_type = optarg;
                        break;
                case ARG_SINCE:
                        arg_since = optarg;
                        break;
                case 'n':
                        if (parse_uint32(optarg, &arg_lines) < 0) {
                                fprintf(stderr, "Invalid number of lines: %s\n", optarg);
                                return -EXIT_USAGE;
                        }
                        break;
                case 'f':
                        arg_follow = true;
                        break;
                case 's':
                        arg_signal = optarg;
                        break;
                default:
                        return -EXIT_USAGE;
                }
        return 1;
}

int main(int argc, char *argv[]) {
        static const struct {
                const char *verb;
                int min_args;           /* including the verb */
                int max_args;           /* -1: any */
                bool pager;             /* output worth a pager */
                int (*run)(sd_bus *bus, char **args, int n);
        } verbs[] = {
                { "status",       1, -1, true,  verb_status },
                { "show",         1, -1, true,  verb_show },
                { "cat",          2, -1, true,  verb_cat },
                { "list-pools",   1, 1,  true,  verb_list },
                { "list-workers", 1, 1,  true,  verb_list },
                { "list-sockets", 1, -1, true,  verb_list_sockets },
                { "is-active",    2, -1, false, verb_is_active },
                { "is-failed",    2, -1, false, verb_is_active },
                { "scale",        3, 3,  false, verb_scale },
                { "set-property", 3, -1, false, verb_set_property },
                { "start",        2, -1, false, verb_pool_simple },
                { "stop",         2, -1, false, verb_pool_simple },
                { "restart",      2, -1, false, verb_pool_simple },
                { "reset-failed", 2, -1, false, verb_pool_simple },
                { "kill",         2, -1, false, verb_kill },
                { "events",       1, 1,  true,  verb_events },
                { "reload",       1, -1, false, verb_reload },
                { "daemon-reload", 1, 1, false, verb_manager_call },
                { "reexec",       1, 1,  false, verb_manager_call },
                { "freeze",       2, -1, false, verb_freeze },
                { "thaw",         2, -1, false, verb_freeze },
                { "diagnose",     2, 2,  true,  verb_diagnose },
                { "metrics",      1, 1,  false, verb_metrics },
        };
        sd_bus *bus = NULL;
        const char *verb;
        int r, n;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;
        verb = optind < argc ? argv[optind] : "list-pools";
        n = optind < argc ? argc - optind : 1;
        if (arg_help || streq(verb, "help")) {
                help();
                pager_close();
                return EXIT_OK;
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(verbs[i].verb, verb))
                        continue;
                if (n < verbs[i].min_args || (verbs[i].max_args >= 0 && n > verbs[i].max_args)) {
                        fprintf(stderr, "%s: wrong number of arguments. See workerpoolctl --help.\n", verb);
                        return EXIT_USAGE;
                }
                (void) sd_bus_error_add_map(bus_workerpoold_errors);
                r = connect_bus(&bus);
                if (r < 0)
                        return -r;
                /* as systemctl: not for what follows the output as it comes */
                if (verbs[i].pager && !arg_follow)
                        pager_open(!arg_pager);
                r = verbs[i].run(bus, optind < argc ? argv + optind : (char *[]) { (char *) verb, NULL }, n);
                fflush(stdout);
                sd_bus_flush_close_unref(bus);
                pager_close();
                strv_free(arg_properties);
                return r;
        }
        fprintf(stderr, "Unknown command '%s'. See workerpoolctl --help.\n", verb);
        return EXIT_USAGE;
}
