// Container images without a registry (../shared/RUNTIME.md): OCI image layouts
// built here from Debian's busybox-static, written as tar archives and imported
// into a containerd with `ctr images import`. The archives are deterministic
// (fixed mtimes, owners and order), so an image's digest is the same on every
// build from the same busybox binary.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::agent {

// The local images `gorch up` and the tests use.
inline constexpr std::string_view kBusyboxImage = "localhost/busybox:1";
inline constexpr std::string_view kPauseImage = "localhost/pause:1";

// Lowercase hex sha256 of `data` (OpenSSL).
std::string Sha256Hex(std::string_view data);

// A ustar archive writer: entries in the order added, owner root, fixed mtime.
class TarWriter {
 public:
  explicit TarWriter(int64_t mtime = 0) : mtime_(mtime) {}
  // `path` relative, without a leading "/" ("bin/busybox"). InvalidArgument
  // when the path does not fit a ustar header (100 bytes name + 155 prefix).
  Status AddDirectory(std::string_view path, int mode = 0755);
  Status AddFile(std::string_view path, std::string_view contents, int mode = 0644);
  Status AddSymlink(std::string_view path, std::string_view target);
  // The archive with its two zero end blocks. The writer is spent afterwards.
  std::string Finish();

 private:
  Status AddEntry(std::string_view path, char type, int mode, std::string_view contents, std::string_view link);
  int64_t mtime_;
  std::string out_;
};

struct ImageSpec {
  std::string ref;  // "localhost/busybox:1": the name the image is imported under
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  std::string working_dir = "/";
};

// The applets linked to bin/busybox in the layer (sh, sleep, httpd, echo, ...).
const std::vector<std::string>& BusyboxApplets();

// The image layer: a rootfs tar with bin/busybox (read from `busybox`), a symlink
// per applet, and the usual empty directories (etc, tmp, proc, ...). NotFound when
// `busybox` cannot be read (install busybox-static).
Result<std::string> BuildBusyboxLayer(const std::filesystem::path& busybox = "/bin/busybox");

// An OCI image layout (oci-layout, index.json with org.opencontainers.image.ref.name
// = spec.ref, blobs/sha256/{layer, config, manifest}) as one tar archive, around
// `layer` (an uncompressed rootfs tar). Deterministic in its inputs.
Result<std::string> BuildImageArchive(const ImageSpec& spec, const std::string& layer);

// The specs of kBusyboxImage (Cmd ["sh"]) and kPauseImage (Entrypoint
// ["/bin/sleep","2147483647"]).
ImageSpec BusyboxImageSpec();
ImageSpec PauseImageSpec();

// Runs `ctr --address SOCKET ARGS...` and returns its output (stdout and stderr).
// `socket` is a path or "unix://PATH". Unavailable with ctr's output when it exits
// non-zero or runs past `timeout`; NotFound when ctr is not installed.
Result<std::string> RunCtr(const std::string& socket, const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs a program (argv[0] is its path) with stdin from /dev/null and returns its
// exit status and combined stdout+stderr; the program is killed after `timeout`.
struct CommandResult {
  int exit_code = -1;  // -1 when killed or not started
  std::string output;
};
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// Writes the archive to `tar_path` and imports it into namespace k8s.io of the
// containerd at `socket`, unpacked for `snapshotter` ("" = the one containerd's CRI
// uses: overlayfs when it loaded, else native). Errors as RunCtr, IOError for the file.
Status ImportImageArchive(const std::string& socket, const std::string& archive, const std::string& ref,
                          const std::filesystem::path& tar_path, const std::string& snapshotter = "");

}  // namespace gorch::agent
