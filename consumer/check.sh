#!/usr/bin/env bash
# Uses smr4j as a newcomer would: installs it with the README's install command, then builds
# and runs this separate Maven project against the installed artifacts, and checks that every
# block of the README marked "<!-- consumer: NAME -->" is, line for line, the code between
# "// README:begin NAME" and "// README:end NAME" compiled here.
#   consumer/check.sh            install, then build and run
#   SKIP_INSTALL=1 consumer/check.sh   use what is installed already
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "2[5-9]'; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    [ -x "$d/bin/java" ] && { export JAVA_HOME="$d"; break; }
  done
fi
echo "consumer: JAVA_HOME=$JAVA_HOME"

python3 - "$root/README.md" "$here/src/main/java/com/example/smr4j" <<'PY'
import pathlib, re, sys, textwrap
readme = pathlib.Path(sys.argv[1]).read_text()
sources = "".join(p.read_text() for p in pathlib.Path(sys.argv[2]).glob("*.java"))
blocks = re.findall(r"<!-- consumer: (\w+) -->\s*```java\n(.*?)```", readme, re.S)
if not blocks:
    sys.exit("consumer: no README block is marked <!-- consumer: NAME -->")
for name, code in blocks:
    m = re.search(r"// README:begin %s\n(.*?)\n\s*// README:end %s" % (name, name), sources, re.S)
    if not m:
        sys.exit("consumer: README block %r has no README:begin/end region in the sources" % name)
    if textwrap.dedent(m.group(1)).strip() != code.strip():
        sys.exit("consumer: README block %r differs from the code compiled here" % name)
    print("consumer: README block %s matches the compiled example" % name)
PY

if [ -z "${SKIP_INSTALL:-}" ]; then
  echo "consumer: installing smr4j (mvn -B install -DskipTests)"
  (cd "$root" && mvn -B -q -Dstyle.color=never install -DskipTests)
fi
echo "consumer: building and running $here against the installed artifacts"
mvn -B -q -Dstyle.color=never -f "$here/pom.xml" verify
