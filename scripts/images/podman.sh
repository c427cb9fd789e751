#!/usr/bin/env bash
# Sourced by the scripts in scripts/images: gets podman ready on this machine, or says
# exactly why it cannot be.
#
#   podman_ready        installs podman, buildah and runc with apt when missing (as root),
#                       writes the settings below, checks `podman info`; returns 0, or 1
#                       with the reason in $PODMAN_UNAVAILABLE.
#   podman_can_run IMG  starts a container of IMG (true) to prove the runtime works; the
#                       same contract.
#
# The settings (containers.conf, as a drop-in of its own, written only when different):
#   runtime = "runc"        crun refuses this kind of VM's cgroup hybrid mode (cgroup v1
#                           controllers with a v2 mount beside them); runc accepts it.
#   default_ulimits         nofile=20000:20000, nproc=32768:32768: the defaults podman
#                           asks for are higher than the hard limits root has here, and
#                           a container that asks for more than the hard limit fails to
#                           start.
#   cgroup_manager=cgroupfs, events_logger=file: there is no systemd.

PODMAN_PACKAGES=(podman buildah runc uidmap slirp4netns fuse-overlayfs containernetworking-plugins netavark iptables debootstrap)
PODMAN_CONF_DIR=/etc/containers/containers.conf.d
PODMAN_CONF_FILE=$PODMAN_CONF_DIR/50-ticketing.conf
export PODMAN_UNAVAILABLE=""

podman_settings() {
	local nofile nproc
	# Never ask for more than the hard limits of this shell (the container inherits them).
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[[ $nofile == unlimited || $nofile -gt 20000 ]] && nofile=20000
	[[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
	cat <<CONF
# Written by scripts/images/podman.sh (Ticketing): see the comments there.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
}

podman_ready() {
	local log=${IMAGES_LOG:-/dev/null}
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
		if [[ $(id -u) -ne 0 ]]; then
			PODMAN_UNAVAILABLE="podman, runc or debootstrap is missing and this user ($(id -un)) is not root, so they cannot be installed (as root: apt-get install ${PODMAN_PACKAGES[*]})"
			return 1
		fi
		if ! command -v apt-get >/dev/null; then
			PODMAN_UNAVAILABLE="podman is missing and there is no apt-get to install it (needs Debian's podman, buildah, runc and debootstrap)"
			return 1
		fi
		echo "images: installing ${PODMAN_PACKAGES[*]} (apt-get)"
		if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PODMAN_PACKAGES[@]}"; } >>"$log" 2>&1; then
			PODMAN_UNAVAILABLE="apt-get install ${PODMAN_PACKAGES[*]} failed (see $log)"
			return 1
		fi
	fi
	if [[ $(id -u) -eq 0 ]]; then
		local want
		want=$(podman_settings)
		if [[ "$(cat "$PODMAN_CONF_FILE" 2>/dev/null)" != "$want" ]]; then
			mkdir -p "$PODMAN_CONF_DIR" && printf '%s\n' "$want" >"$PODMAN_CONF_FILE"
			echo "images: wrote $PODMAN_CONF_FILE (runc, ulimits, cgroupfs)"
		fi
	else
		local user_conf="${XDG_CONFIG_HOME:-$HOME/.config}/containers/containers.conf"
		if [[ ! -f $user_conf ]]; then
			mkdir -p "$(dirname "$user_conf")" && podman_settings >"$user_conf"
		fi
	fi
	local info
	if ! info=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1); then
		PODMAN_UNAVAILABLE="podman info failed: $(echo "$info" | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	return 0
}

podman_can_run() {
	local out
	if ! out=$(podman run --rm --pull=never --network none "$1" true 2>&1); then
		PODMAN_UNAVAILABLE="podman cannot start a container: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	return 0
}
