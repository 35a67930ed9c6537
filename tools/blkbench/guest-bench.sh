#!/bin/sh
# guest-bench.sh - runs inside the Linux guest of tools/bench-blk.sh: for each
# test named in kvmini.bench=A,B,... (or "none"), runs blkbench on /dev/vda
# and prints "BENCH test=NAME requests=N <blkbench line>", where requests
# is what /dev/vda completed meanwhile (from /sys/block/vda/stat).
# /etc/blkbench-tests.txt holds the table: name mode bs qd count.
want=$(sed -n 's/.*kvmini\.bench=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -b /dev/vda ] || { echo "BENCH error=no-disk"; exit 1; }
reqs() { set -- $(cat /sys/block/vda/stat); echo $(($1 + $5)); }
grep -v '^#' /etc/blkbench-tests.txt | while read -r name mode bs qd count; do
	case ",$want," in *",$name,"* | *",all,"*) ;; *) continue ;; esac
	before=$(reqs)
	line=$(blkbench /dev/vda "$mode" "$bs" "$qd" "$count") || { echo "BENCH test=$name error=failed"; exit 1; }
	echo "BENCH test=$name requests=$(($(reqs) - before)) $line"
done
echo "BENCH done"
