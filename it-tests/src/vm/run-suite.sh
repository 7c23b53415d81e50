#!/bin/sh
# Runs the test classes a scenario names (the reactor-aio conformance suite, or a fault test) with the
# JUnit console launcher, in a test VM (from its /init) or straight in a container. Prints the
# launcher's tree, then a sentinel line the host looks for:
#   @@SUITE exit=<launcher exit status>
# Usage: run-suite.sh SCENARIO_DIR WORK_DIR [JVM options...]
#   SCENARIO_DIR/scenario.env  shell variables: SUITE_USER (run as this user, empty: as is),
#                              SUITE_MEMLOCK_KB (RLIMIT_MEMLOCK in KiB, empty: unchanged) and
#                              SUITE_CLASSES (the test classes to run, separated by spaces)
#   SCENARIO_DIR/jvm.args      JVM options, one per line (a java @argfile): -D expectations and tuning
#   WORK_DIR                   java.io.tmpdir (where @TempDir files go) and reports/ (JUnit XML)
#   JVM options                more, after those of jvm.args (a VM's /init passes its kernel's here)
# The suite is this script's folder: jre/ (a jlinked runtime) and lib/ (the jars).
set -u
suite=$(cd "$(dirname "$0")" && pwd)
scenario=$1
work=$2
shift 2
SUITE_USER=
SUITE_MEMLOCK_KB=
SUITE_CLASSES=
. "$scenario/scenario.env"
[ -n "$SUITE_CLASSES" ] || { echo "run-suite.sh: no SUITE_CLASSES in $scenario/scenario.env" >&2; exit 2; }

mkdir -p "$work/tmp" "$work/reports"
classpath=
for jar in "$suite"/lib/*.jar; do
	case $jar in
		*/junit-platform-console-standalone.jar) ;;
		*) classpath=$classpath${classpath:+:}$jar ;;
	esac
done
set -- "$suite/jre/bin/java" "@$scenario/jvm.args" "$@" -Djava.io.tmpdir="$work/tmp" \
	-jar "$suite/lib/junit-platform-console-standalone.jar" execute \
	--disable-banner --disable-ansi-colors --details=tree --details-theme=ascii --fail-if-no-tests \
	--class-path "$classpath" --reports-dir "$work/reports"
for class in $SUITE_CLASSES; do
	set -- "$@" --select-class "$class"
done

if [ -n "$SUITE_MEMLOCK_KB" ]; then
	ulimit -l "$SUITE_MEMLOCK_KB" || exit 2
fi
if [ -n "$SUITE_USER" ]; then
	chown -R "$SUITE_USER" "$work"
	set -- su -s /bin/sh -c 'exec "$0" "$@"' -- "$SUITE_USER" "$@"
fi
echo "@@SUITE user=${SUITE_USER:-$(id -un)} memlock=$(ulimit -l) kernel=$(uname -r)"
"$@"
status=$?
echo "@@SUITE exit=$status"
exit $status
