#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build one kernel variant out of tree and leave its image and modules in
# build/ (the variants, their trees, fragments and images: variant_info()
# in lib.sh).
#
# The config is tinyconfig plus the fragments, merged with merge_config.sh
# and verified: an option that did not survive olddefconfig fails the build
# by name.  The .config is only replaced when it changed, and ccache is used
# when present, so a rebuild is incremental.
set -eu
. "$(dirname "$0")/lib.sh"

#   build-kernel.sh VARIANT                 image and modules
#   build-kernel.sh VARIANT --config-only   the config, verified; nothing built
#   build-kernel.sh VARIANT --objects 'F.o ...'
#                                           only those objects (bisect-check.sh)
#
# Environment: TREE (the source tree, default build/linux), OBJ (the build
# directory, default build/obj/VARIANT), IMAGE and MODULES (where the image
# and the modules go, default build/bzImage* and build/modules-VARIANT[.cpio]),
# LOG (default build/logs/build-VARIANT.log), EXTRA_FRAGMENTS.
variant=${1:?usage: build-kernel.sh VARIANT [--config-only | --objects 'F.o ...']}
mode=${2:-}
objects=${3:-}
variant_info "$variant"
src=$v_src out=$v_image obj=$v_obj frags=
for f in $v_frags; do frags="$frags $WB/configs/$f.config"; done
# EXTRA_FRAGMENTS: more fragments, merged last (and verified like the rest).
frags="$frags ${v_extra:-} ${EXTRA_FRAGMENTS:-}"
obj=${OBJ:-$obj} out=${IMAGE:-$out} mods=${MODULES:-$B/modules-$variant}
[ -f "$src/Makefile" ] || die "$src is not prepared: run 'make tree'"
[ -z "${v_extra:-}" ] || [ -f "$v_extra" ] || die "$v_extra is missing: run 'make tree'"

scratch=$obj.config
mkdir -p "$obj" "$scratch" "$LOGS"
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
kmake()
{
	make -C "$src" O="$1" LOCALVERSION= CC="$cc" "${@:2}"
}

# The options the fragments ask for: the last line naming an option wins,
# as in merge_config.sh.
requested_options()
{
	# "CONFIG_X=n" (the rcutorture scenarios' form) is "# CONFIG_X is not set".
	awk '/^CONFIG_[A-Za-z0-9_]+=n$/ { $0 = "# " substr($0, 1, length($0) - 2) " is not set" }
	     /^CONFIG_[A-Za-z0-9_]+=/ { k = substr($0, 1, index($0, "=") - 1) }
	     /^# CONFIG_[A-Za-z0-9_]+ is not set/ { k = $2 }
	     k != "" { if (!(k in v)) o[n++] = k; v[k] = $0; k = "" }
	     END { for (i = 0; i < n; i++) print v[o[i]] }' $frags
}

# Every requested option must be in the final config as written.
verify_config()
{
	local cfg=$1 line opt now bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*)
			grep -qxF "$line" "$cfg" && continue
			opt=${line%%=*} ;;
		*)
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$cfg" || continue ;;
		esac
		now=$(grep -E "^$opt=|^# $opt is not set" "$cfg" || echo "absent: unknown option or unmet dependency")
		echo "error: requested '$line', got '$now'" >&2
		bad=1
	done < <(requested_options)
	[ $bad -eq 0 ] || die "the $variant config lost requested options (above); check their dependencies in Kconfig"
}

# Making the config (tinyconfig, merge_config.sh, olddefconfig: about 15 s,
# most of an incremental build of a few objects) depends only on the
# fragments, the tree's Kconfig files and the compiler.  A stamp in
# $scratch names the first and last, and is newer than the Kconfig files
# it was made from: a checkout that changes one gives it a new mtime.
stamp=$scratch/.config-stamp
key=$(
	echo "$src"
	$cc --version 2>/dev/null | head -1
	for f in $frags; do echo "$f"; cat "$f"; done
)
key=$(echo "$key" | sha1sum | cut -d' ' -f1)
if [ -r "$scratch/.config" ] && [ -r "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] &&
   [ -z "$(find "$src" \( -name 'Kconfig*' -o -path '*/configs/*.config' -o -path '*/scripts/kconfig/*' \) \
	-newer "$stamp" -print -quit)" ]; then
	: # the config made last time for these inputs, verified then
else
	rm -f "$stamp"
	kmake "$scratch" -s tinyconfig >/dev/null
	# (In $scratch: merge_config.sh leaves its temporary files in the
	# current directory when it is interrupted.)
	(cd "$scratch" && "$src/scripts/kconfig/merge_config.sh" -m -O "$scratch" "$scratch/.config" $frags) >/dev/null
	kmake "$scratch" -s olddefconfig
	verify_config "$scratch/.config"
	echo "$key" >"$stamp"
fi
[ "$mode" = --config-only ] && { echo "  CONFIG  $variant: every requested option is set" >&2; exit 0; }
cmp -s "$scratch/.config" "$obj/.config" || cp "$scratch/.config" "$obj/.config"

# in_config OBJECT: false if the Makefile of OBJECT's directory builds it
# only under options that are off in this config (kbuild would still
# compile a named object, one its config never builds: arch/x86's
# paravirt.o without CONFIG_PARAVIRT).  Any other mention (obj-y, a
# composite object's list) counts as built.
in_config()
{
	local d=${1%/*} b=${1##*/} mk lhs opt
	mk=$src/$d/Makefile
	[ -r "$mk" ] || mk=$src/$d/Kbuild
	[ -r "$mk" ] || return 0
	lhs=$(awk -v o="$b" '
		{ line = line $0 }
		/\\$/ { sub(/\\$/, " ", line); next }
		{ n = split(line, w, /[ \t]+/)
		  for (i = 1; i <= n; i++) if (w[i] == o) { sub(/[ \t]*[:+]?=.*/, "", line); print line; break }
		  line = "" }' "$mk")
	[ -n "$lhs" ] || return 0
	for opt in $lhs; do
		case "$opt" in
		'obj-$(CONFIG_'*')')
			opt=${opt#'obj-$('}; opt=${opt%')'}
			grep -qE "^$opt=(y|m)$" "$obj/.config" && return 0 ;;
		*) return 0 ;;
		esac
	done
	return 1
}

log=${LOG:-$LOGS/build-$variant.log}
if [ "$mode" = --objects ]; then
	kept=
	for o in $objects; do
		if in_config "$o"; then
			kept="$kept $o"
		else
			echo "  SKIP    $o: its Makefile builds it only under options this config has off" >&2
		fi
	done
	objects=$kept
	[ -n "$objects" ] || { : >"$log"; exit 0; }
	kmake "$obj" -j"${JOBS:-3}" $objects >"$log" 2>&1 || {
		grep -E 'error|Error' "$log" | head -20 >&2
		die "building $objects ($variant) failed; full log: $log"
	}
	exit 0
fi
echo "  BUILD   $variant kernel (log: ${log#$TOP/})" >&2
if ! kmake "$obj" -j"${JOBS:-3}" bzImage modules >"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -20 >&2
	die "building the $variant kernel failed; full log: $log"
fi
rm -rf "$mods"
kmake "$obj" -s INSTALL_MOD_PATH="$mods" INSTALL_MOD_STRIP=1 modules_install >>"$log" 2>&1 ||
	die "installing the $variant modules failed; full log: $log"
(cd "$mods" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$mods.cpio"
cp "$obj/arch/x86/boot/bzImage" "$out"
echo "  IMAGE   ${out#$TOP/} ($(kmake "$obj" -s kernelrelease))" >&2
