// Local OCI images from busybox-static (images.h) and the subprocess helpers that
// run `ctr`.
#include "gorch/agent/images.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gorch::agent {
namespace {

using nlohmann::json;

constexpr size_t kBlock = 512;

// Writes `value` as zero-padded octal into field[0..width-1), NUL-terminated.
void PutOctal(char* field, size_t width, uint64_t value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
}

std::string Architecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

std::string Digest(std::string_view data) { return "sha256:" + Sha256Hex(data); }

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

Status TarWriter::AddEntry(std::string_view path, char type, int mode, std::string_view contents,
                           std::string_view link) {
  char header[kBlock];
  std::memset(header, 0, sizeof header);
  // Long paths split at a '/' into prefix (155) + name (100), as ustar allows.
  std::string_view name = path, prefix;
  if (name.size() > 100) {
    size_t cut = path.rfind('/', 155);
    if (cut == std::string_view::npos || path.size() - cut - 1 > 100) {
      return Status::InvalidArgument("tar: path too long for a ustar header: " + std::string(path));
    }
    prefix = path.substr(0, cut);
    name = path.substr(cut + 1);
  }
  if (link.size() > 100) return Status::InvalidArgument("tar: link target too long: " + std::string(link));
  std::memcpy(header, name.data(), name.size());
  PutOctal(header + 100, 8, static_cast<uint64_t>(mode));
  PutOctal(header + 108, 8, 0);  // uid
  PutOctal(header + 116, 8, 0);  // gid
  PutOctal(header + 124, 12, contents.size());
  PutOctal(header + 136, 12, static_cast<uint64_t>(mtime_));
  header[156] = type;
  std::memcpy(header + 157, link.data(), link.size());
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  std::memcpy(header + 265, "root", 4);
  std::memcpy(header + 297, "root", 4);
  std::memcpy(header + 345, prefix.data(), prefix.size());
  // The checksum is computed with its own field as eight spaces.
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::snprintf(header + 148, 8, "%06o", sum);
  header[155] = ' ';
  out_.append(header, kBlock);
  out_.append(contents);
  out_.append((kBlock - contents.size() % kBlock) % kBlock, '\0');
  return Status::Ok();
}

Status TarWriter::AddDirectory(std::string_view path, int mode) {
  std::string p(path);
  if (p.empty() || p.back() != '/') p += '/';
  return AddEntry(p, '5', mode, {}, {});
}
Status TarWriter::AddFile(std::string_view path, std::string_view contents, int mode) {
  return AddEntry(path, '0', mode, contents, {});
}
Status TarWriter::AddSymlink(std::string_view path, std::string_view target) {
  return AddEntry(path, '2', 0777, {}, target);
}
std::string TarWriter::Finish() {
  out_.append(2 * kBlock, '\0');
  return std::move(out_);
}

const std::vector<std::string>& BusyboxApplets() {
  static const std::vector<std::string> kApplets = {
      "sh",    "ash",   "sleep", "httpd", "echo",   "cat",    "ls",    "wget", "nc",    "env",
      "true",  "false", "test",  "[",     "printf", "mkdir",  "rm",    "cp",   "mv",    "touch",
      "grep",  "sed",   "awk",   "head",  "tail",   "wc",     "date",  "ps",   "kill",  "id",
      "hostname", "uname", "df", "du",    "find",   "xargs",  "tee",   "seq",  "yes",   "timeout",
      "ln",    "chmod", "pwd",   "ip",    "ifconfig", "ping", "nslookup", "vi", "mount", "whoami"};
  return kApplets;
}

Result<std::string> BuildBusyboxLayer(const std::filesystem::path& busybox) {
  std::ifstream in(busybox, std::ios::binary);
  if (!in) {
    return Status::NotFound("cannot read " + busybox.string() + " (install Debian's busybox-static)");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  TarWriter tar;
  for (const char* dir : {"bin", "dev", "etc", "proc", "sys", "root", "usr", "usr/bin", "var", "var/www"}) {
    if (Status s = tar.AddDirectory(dir); !s.ok()) return s;
  }
  if (Status s = tar.AddDirectory("tmp", 01777); !s.ok()) return s;
  if (Status s = tar.AddFile("bin/busybox", buffer.str(), 0755); !s.ok()) return s;
  for (const std::string& applet : BusyboxApplets()) {
    if (Status s = tar.AddSymlink("bin/" + applet, "busybox"); !s.ok()) return s;
  }
  // Enough of /etc for `id`, `whoami` and name lookups of localhost.
  if (Status s = tar.AddFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
      !s.ok()) {
    return s;
  }
  if (Status s = tar.AddFile("etc/group", "root:x:0:\nnogroup:x:65534:\n"); !s.ok()) return s;
  return tar.Finish();
}

Result<std::string> BuildImageArchive(const ImageSpec& spec, const std::string& layer) {
  json config_section = json::object();
  config_section["Env"] = spec.env;
  if (!spec.entrypoint.empty()) config_section["Entrypoint"] = spec.entrypoint;
  if (!spec.cmd.empty()) config_section["Cmd"] = spec.cmd;
  config_section["WorkingDir"] = spec.working_dir;
  json config = {{"architecture", Architecture()},
                 {"os", "linux"},
                 {"config", config_section},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {Digest(layer)}}}}};
  const std::string config_blob = config.dump();
  json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", Digest(config_blob)},
        {"size", config_blob.size()}}},
      {"layers",
       {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", Digest(layer)}, {"size", layer.size()}}}}};
  const std::string manifest_blob = manifest.dump();
  json index = {{"schemaVersion", 2},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"digest", Digest(manifest_blob)},
                   {"size", manifest_blob.size()},
                   {"annotations",
                    {{"org.opencontainers.image.ref.name", spec.ref}, {"io.containerd.image.name", spec.ref}}}}}}};

  TarWriter tar;
  if (Status s = tar.AddDirectory("blobs"); !s.ok()) return s;
  if (Status s = tar.AddDirectory("blobs/sha256"); !s.ok()) return s;
  for (const std::string* blob : {&layer, &config_blob, &manifest_blob}) {
    if (Status s = tar.AddFile("blobs/sha256/" + Sha256Hex(*blob), *blob); !s.ok()) return s;
  }
  if (Status s = tar.AddFile("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !s.ok()) return s;
  if (Status s = tar.AddFile("index.json", index.dump()); !s.ok()) return s;
  return tar.Finish();
}

ImageSpec BusyboxImageSpec() {
  ImageSpec spec;
  spec.ref = std::string(kBusyboxImage);
  spec.cmd = {"sh"};
  return spec;
}

ImageSpec PauseImageSpec() {
  ImageSpec spec;
  spec.ref = std::string(kPauseImage);
  spec.entrypoint = {"/bin/sleep", "2147483647"};
  return spec;
}

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  if (argv.empty()) return Status::InvalidArgument("RunCommand: empty argv");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::IOError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    execv(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool killed = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = poll(&p, 1, killed ? 1000 : static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (killed) break;
      continue;
    }
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    result.output.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(wstatus) && !killed ? WEXITSTATUS(wstatus) : -1;
  if (killed) result.output += "\n(killed after " + std::to_string(timeout.count()) + " ms)";
  return result;
}

Result<std::string> RunCtr(const std::string& socket, const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout) {
  static const char* kCtr = "/usr/bin/ctr";
  if (access(kCtr, X_OK) != 0) return Status::NotFound("ctr not found at /usr/bin/ctr (install Debian's containerd)");
  std::string path = socket.rfind("unix://", 0) == 0 ? socket.substr(7) : socket;
  std::vector<std::string> argv = {kCtr, "--address", path};
  argv.insert(argv.end(), args.begin(), args.end());
  auto run = RunCommand(argv, timeout);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    std::string line;
    for (const std::string& a : args) line += " " + a;
    while (!run->output.empty() && run->output.back() == '\n') run->output.pop_back();
    return Status::Unavailable("ctr" + line + ": " + run->output);
  }
  return std::move(run->output);
}

Status ImportImageArchive(const std::string& socket, const std::string& archive, const std::string& ref,
                          const std::filesystem::path& tar_path, const std::string& snapshotter) {
  {
    std::ofstream out(tar_path, std::ios::binary | std::ios::trunc);
    out.write(archive.data(), static_cast<std::streamsize>(archive.size()));
    if (!out.good()) return Status::IOError("cannot write " + tar_path.string());
  }
  std::string snap = snapshotter;
  if (snap.empty()) {
    // The CRI plugin unpacks nothing itself: the image must be unpacked for the
    // snapshotter it uses, which is overlayfs when that plugin loaded.
    auto plugins = RunCtr(socket, {"plugins", "ls"}, std::chrono::seconds(10));
    if (!plugins.ok()) return plugins.status();
    snap = "native";
    std::istringstream lines(*plugins);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("io.containerd.snapshotter.v1") != std::string::npos &&
          line.find(" overlayfs ") != std::string::npos && line.find(" ok") != std::string::npos) {
        snap = "overlayfs";
      }
    }
  }
  auto imported = RunCtr(socket, {"-n", "k8s.io", "images", "import", "--snapshotter", snap, "--index-name", ref,
                                  tar_path.string()});
  std::error_code ec;
  std::filesystem::remove(tar_path, ec);
  return imported.status();
}

}  // namespace gorch::agent
