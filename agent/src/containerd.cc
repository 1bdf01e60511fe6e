// A private containerd (containerd.h): config, process, readiness, cleanup.
#include "gorch/agent/containerd.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "gorch/agent/images.h"

namespace gorch::agent {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxSocketPath = 107;  // sun_path is 108 bytes with its NUL

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Status WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out.good()) return Status::IOError("cannot write " + path.string());
  return Status::Ok();
}

// The last `n` lines of the log, for error messages.
std::string LogTail(const fs::path& log, size_t n = 8) {
  std::string text = ReadFile(log);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += "\n  " + lines[i];
  return out;
}

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Whether an overlay mount works under `dir` (it does not on some filesystems,
// e.g. overlay on overlay): containerd's overlayfs snapshotter needs it.
bool OverlayWorks(const fs::path& dir) {
  fs::path base = dir / "overlay-check";
  std::error_code ec;
  fs::remove_all(base, ec);
  for (const char* sub : {"lower", "upper", "work", "merged"}) fs::create_directories(base / sub, ec);
  std::string opts = "lowerdir=" + (base / "lower").string() + ",upperdir=" + (base / "upper").string() +
                     ",workdir=" + (base / "work").string();
  bool ok = mount("overlay", (base / "merged").c_str(), "overlay", 0, opts.c_str()) == 0;
  if (ok) umount2((base / "merged").c_str(), MNT_DETACH);
  fs::remove_all(base, ec);
  return ok;
}

std::string ConfigToml(const ContainerdOptions& o, const std::string& socket, const std::string& snapshotter) {
  const std::string dir = o.dir.string();
  const std::string cri = "[plugins.\"io.containerd.grpc.v1.cri\"";
  std::ostringstream t;
  t << "# Written by gorch (agent/src/containerd.cc): a private containerd, see docs/up.md.\n"
    << "version = 2\n"
    << "root = " << TomlString(dir + "/root") << "\n"
    << "state = " << TomlString(dir + "/state") << "\n"
    << "oom_score = 0\n"
    // Plugins a single-node, local-image containerd never uses.
    << "disabled_plugins = [\"io.containerd.tracing.processor.v1.otlp\", \"io.containerd.internal.v1.tracing\",\n"
    << "  \"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\",\n"
    << "  \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\",\n"
    << "  \"io.containerd.internal.v1.opt\"]\n\n"
    << "[grpc]\n  address = " << TomlString(socket) << "\n\n"
    << "[debug]\n  level = " << TomlString(o.log_level) << "\n\n"
    << cri << "]\n"
    << "  sandbox_image = " << TomlString(std::string(kPauseImage)) << "\n"
    // Without it every RunPodSandbox fails here: runc may not lower oom_score_adj.
    << "  restrict_oom_score_adj = true\n"
    // Network namespaces under state/, so Stop finds and unmounts them.
    << "  netns_mounts_under_state_dir = true\n"
    << "  disable_tcp_service = true\n"
    << "  stream_server_address = \"127.0.0.1\"\n"
    << "  stream_server_port = \"0\"\n"
    << "  enable_selinux = false\n\n"
    << cri << ".cni]\n"
    << "  bin_dir = \"/usr/lib/cni\"\n"
    << "  conf_dir = " << TomlString(dir + "/cni/net.d") << "\n"
    << "  max_conf_num = 1\n\n"
    << cri << ".containerd]\n"
    << "  snapshotter = " << TomlString(snapshotter) << "\n"
    << "  default_runtime_name = \"runc\"\n\n"
    << cri << ".containerd.runtimes.runc]\n"
    << "  runtime_type = \"io.containerd.runc.v2\"\n\n"
    // runc's state in our dir too, so Stop can find and delete every container.
    << cri << ".containerd.runtimes.runc.options]\n"
    << "  Root = " << TomlString(dir + "/state/runc") << "\n";
  return t.str();
}

// bridge + host-local + portmap + loopback on `subnet`; the bridge is the gateway.
std::string CniConflist(const ContainerdOptions& o) {
  const std::string ipam_dir = (o.dir / "cni" / "ipam").string();
  std::ostringstream c;
  c << "{\n"
    << "  \"cniVersion\": \"0.4.0\",\n"
    << "  \"name\": \"gorch\",\n"
    << "  \"plugins\": [\n"
    << "    {\"type\": \"bridge\", \"bridge\": " << TomlString(o.bridge)
    << ", \"isGateway\": true, \"ipMasq\": false, \"hairpinMode\": true,\n"
    << "     \"ipam\": {\"type\": \"host-local\", \"dataDir\": " << TomlString(ipam_dir)
    << ", \"ranges\": [[{\"subnet\": " << TomlString(o.pod_subnet) << "}]],\n"
    << "              \"routes\": [{\"dst\": \"0.0.0.0/0\"}]}},\n"
    << "    {\"type\": \"portmap\", \"capabilities\": {\"portMappings\": true}},\n"
    << "    {\"type\": \"loopback\"}\n"
    << "  ]\n"
    << "}\n";
  return c.str();
}

bool ValidSubnet(const std::string& cidr) {
  unsigned a, b, c, d, len;
  char tail;
  if (std::sscanf(cidr.c_str(), "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &len, &tail) != 5) return false;
  return a < 256 && b < 256 && c < 256 && d < 256 && len >= 8 && len <= 30;
}

std::string CmdlineOf(pid_t pid) {
  std::string raw = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return raw;
}

// pid -> parent pid of every process.
std::map<pid_t, pid_t> ParentMap() {
  std::map<pid_t, pid_t> parents;
  DIR* proc = opendir("/proc");
  if (!proc) return parents;
  while (dirent* e = readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state;
    int ppid;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && state != 'Z') parents[pid] = ppid;
  }
  closedir(proc);
  return parents;
}

// The shims started by the containerd on `socket` ("-address SOCKET" in their
// command line), and every process below them (the containers).
struct ShimProcesses {
  std::vector<pid_t> shims;
  std::vector<pid_t> containers;
};
ShimProcesses FindShims(const std::string& socket) {
  std::map<pid_t, pid_t> parents = ParentMap();
  std::set<pid_t> shims, below;
  for (const auto& [pid, ppid] : parents) {
    std::string cmd = CmdlineOf(pid);
    if (cmd.find("containerd-shim") != std::string::npos && cmd.find("-address " + socket + " ") != std::string::npos) {
      shims.insert(pid);
    }
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, ppid] : parents) {
      if ((shims.count(ppid) || below.count(ppid)) && !shims.count(pid) && below.insert(pid).second) grew = true;
    }
  }
  return {{shims.begin(), shims.end()}, {below.begin(), below.end()}};
}

// The cgroup paths (relative to a hierarchy's root) of `pids`, without those
// this process is in itself, from /proc/PID/cgroup ("N:controllers:/path").
std::set<std::string> CgroupsOf(const std::vector<pid_t>& pids) {
  auto paths_of = [](const std::string& pid) {
    std::set<std::string> out;
    std::istringstream in(ReadFile("/proc/" + pid + "/cgroup"));
    for (std::string line; std::getline(in, line);) {
      size_t colon = line.find(':', line.find(':') + 1);
      if (colon != std::string::npos && line.size() > colon + 2) out.insert(line.substr(colon + 1));
    }
    return out;
  };
  std::set<std::string> ours = paths_of("self"), out;
  for (pid_t pid : pids) {
    for (const std::string& path : paths_of(std::to_string(pid))) {
      if (!ours.count(path)) out.insert(path);
    }
  }
  return out;
}

// Removes `path` and its parents, in every hierarchy under /sys/fs/cgroup, while
// they are empty (rmdir fails on a cgroup with tasks or children: left alone).
void RemoveEmptyCgroups(const std::set<std::string>& paths) {
  std::error_code ec;
  std::vector<fs::path> roots = {"/sys/fs/cgroup"};
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (e.is_directory() && !e.is_symlink()) roots.push_back(e.path());
  }
  for (const fs::path& root : roots) {
    for (std::string path : paths) {
      // A leaf runc already removed (ENOENT) still lets its parents go.
      while (path.size() > 1 && (rmdir((root.string() + path).c_str()) == 0 || errno == ENOENT)) {
        path = path.substr(0, path.rfind('/'));
      }
    }
  }
}

// Mount points at or below `dir`, deepest first (from /proc/self/mountinfo,
// whose paths escape space, tab, newline and backslash as \ooo).
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::istringstream in(ReadFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    std::string path;
    for (size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        path += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        path += point[i];
      }
    }
    if (path == dir || path.rfind(dir + "/", 0) == 0) out.push_back(path);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

// Whether `pid` (from our pid file) is a containerd running our config.
bool IsOurContainerd(pid_t pid, const fs::path& config) {
  std::string cmd = CmdlineOf(pid);
  return cmd.find("containerd") != std::string::npos && cmd.find(config.string()) != std::string::npos;
}

enum class Gone { kReaped, kExited };

// Waits until `pid` is gone: a child of ours reaped by us (kReaped on a child);
// another process exited (kExited: a zombie counts) or reaped by its parent
// (kReaped). False on timeout.
bool WaitGone(pid_t pid, std::chrono::milliseconds timeout, bool child, Gone gone) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child) {
      int wstatus;
      pid_t r = waitpid(pid, &wstatus, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD)) return true;
    } else if (kill(pid, 0) != 0 || (gone == Gone::kExited && CmdlineOf(pid).empty())) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// `runc delete --force` of every container whose bundle the containerd in `dir`
// holds (state/io.containerd.runtime.v2.task/NS/ID): kills it and removes its
// cgroups and runc state, and the shim's socket. runc's state is in our runc root for CRI containers,
// in runc's default root for those `ctr run` made.
Status DeleteContainers(const fs::path& dir, const std::string& socket) {
  Status first;
  std::error_code ec;
  const fs::path bundles = dir / "state" / "io.containerd.runtime.v2.task";
  for (const auto& ns : fs::directory_iterator(bundles, ec)) {
    for (const auto& bundle : fs::directory_iterator(ns.path(), ec)) {
      const std::string id = bundle.path().filename().string();
      const std::string nsname = ns.path().filename().string();
      // The shim's socket (containerd 1.6: /run/containerd/s/sha256(ADDRESS/NS/ID)),
      // which a killed shim leaves behind.
      fs::remove(fs::path("/run/containerd/s") / Sha256Hex(socket + "/" + nsname + "/" + id), ec);
      for (const fs::path& root : {dir / "state" / "runc" / nsname, fs::path("/run/containerd/runc") / nsname}) {
        if (!fs::exists(root / id, ec)) continue;
        auto run = RunCommand({"/usr/sbin/runc", "--root", root.string(), "delete", "--force", id},
                              std::chrono::seconds(10));
        if (run.ok() && run->exit_code != 0 && first.ok()) {
          first = Status::Internal("runc delete " + id + ": " + run->output);
        }
      }
    }
  }
  return first;
}

}  // namespace

Result<std::unique_ptr<PrivateContainerd>> PrivateContainerd::Start(ContainerdOptions o) {
  if (o.dir.empty()) return Status::InvalidArgument("containerd: no directory given");
  if (!o.pod_subnet.empty() && !ValidSubnet(o.pod_subnet)) {
    return Status::InvalidArgument("containerd: pod subnet '" + o.pod_subnet + "' is not an IPv4 CIDR like 198.18.7.0/24");
  }
  if (access(o.containerd_binary.c_str(), X_OK) != 0) {
    return Status::NotFound(o.containerd_binary + " not found (install Debian's containerd and runc)");
  }
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  if (ec) return Status::IOError("containerd: cannot create " + o.dir.string() + ": " + ec.message());
  o.dir = fs::canonical(o.dir, ec);
  if (ec) return Status::IOError("containerd: " + ec.message());

  std::unique_ptr<PrivateContainerd> c(new PrivateContainerd(std::move(o)));
  const ContainerdOptions& opt = c->options_;
  c->socket_ = (opt.dir / "containerd.sock").string();
  if (c->socket_.size() + 8 > kMaxSocketPath) {  // + ".ttrpc", containerd's second socket
    std::string hash = Sha256Hex(opt.dir.string()).substr(0, 12);
    fs::path short_dir = fs::path("/tmp") / ("gorch-ctrd-" + hash);
    fs::create_directories(short_dir, ec);
    c->socket_ = (short_dir / "containerd.sock").string();
  }
  for (const char* sub : {"root", "state", "cni/net.d", "cni/ipam"}) fs::create_directories(opt.dir / sub, ec);

  // A containerd left running on this dir (its owner was killed) holds the
  // metadata lock: stop it first. Its containers keep running and are adopted.
  std::string old = ReadFile(opt.dir / "containerd.pid");
  if (pid_t old_pid = static_cast<pid_t>(std::atoi(old.c_str())); old_pid > 0 &&
                                                                   IsOurContainerd(old_pid, opt.dir / "config.toml")) {
    kill(old_pid, SIGTERM);
    if (!WaitGone(old_pid, std::chrono::seconds(10), false, Gone::kExited)) kill(old_pid, SIGKILL);
  }

  const std::string snapshotter = OverlayWorks(opt.dir / "root") ? "overlayfs" : "native";
  if (Status s = WriteFile(opt.dir / "config.toml", ConfigToml(opt, c->socket_, snapshotter)); !s.ok()) return s;
  fs::path conflist = opt.dir / "cni" / "net.d" / "10-gorch.conflist";
  if (!opt.pod_subnet.empty()) {
    if (Status s = WriteFile(conflist, CniConflist(opt)); !s.ok()) return s;
  } else {
    fs::remove(conflist, ec);
  }
  if (Status s = c->Spawn(); !s.ok()) {
    c->Stop();
    return s;
  }
  return c;
}

Status PrivateContainerd::Spawn() {
  const fs::path config = options_.dir / "config.toml";
  const fs::path log = LogPath();
  std::error_code ec;
  fs::remove(socket_, ec);
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("containerd: cannot open " + log.string() + ": " + std::strerror(errno));
  const std::string binary = options_.containerd_binary;
  const std::string config_str = config.string();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return Status::IOError(std::string("containerd: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own process group: a terminal's Ctrl-C reaches us, not it
    // Stopped if its parent dies without stopping it (kill -9 of gorch up).
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execl(binary.c_str(), binary.c_str(), "--config", config_str.c_str(), static_cast<char*>(nullptr));
    dprintf(2, "exec %s: %s\n", binary.c_str(), std::strerror(errno));
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;
  WriteFile(options_.dir / "containerd.pid", std::to_string(pid) + "\n");

  // Ready when the socket answers and the CRI plugin loaded.
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  std::string last_error = "no socket yet";
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = 0;
      return Status::Unavailable("containerd exited (status " +
                                 std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus)) +
                                 ") before answering on " + socket_ + "; see " + log.string() + ":" + LogTail(log));
    }
    if (fs::exists(socket_, ec)) {
      auto plugins = RunCtr(socket_, {"--timeout", "2s", "plugins", "ls"}, std::chrono::seconds(5));
      if (plugins.ok()) {
        std::istringstream lines(*plugins);
        for (std::string line; std::getline(lines, line);) {
          if (line.rfind("io.containerd.grpc.v1", 0) != 0 || line.find(" cri ") == std::string::npos) continue;
          if (line.find(" ok") != std::string::npos) return Status::Ok();
          StopProcess();
          return Status::Unavailable("containerd's CRI plugin did not load (" + line + "); see " + log.string() +
                                     ":" + LogTail(log));
        }
        last_error = "no CRI plugin listed";
      } else {
        last_error = plugins.status().message();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  StopProcess();
  return Status::Unavailable("containerd did not answer on " + socket_ + " within " +
                             std::to_string(options_.start_timeout.count()) + " ms (" + last_error + "); see " +
                             log.string() + ":" + LogTail(log));
}

Status PrivateContainerd::StopProcess() {
  if (pid_ == 0) return Status::Ok();
  kill(pid_, SIGTERM);
  if (!WaitGone(pid_, std::chrono::seconds(10), true, Gone::kReaped)) {
    kill(pid_, SIGKILL);
    WaitGone(pid_, std::chrono::seconds(5), true, Gone::kReaped);
  }
  pid_ = 0;
  std::error_code ec;
  fs::remove(options_.dir / "containerd.pid", ec);
  return Status::Ok();
}

Status PrivateContainerd::Restart() {
  StopProcess();
  return Spawn();
}

Status PrivateContainerd::Stop() {
  Status first;
  auto note = [&first](Status s) {
    if (first.ok() && !s.ok()) first = std::move(s);
  };
  note(StopProcess());
  // The containers' cgroups, read while their processes still live.
  const std::set<std::string> cgroups = CgroupsOf(FindShims(socket_).containers);
  note(DeleteContainers(options_.dir, socket_));

  // The shims outlive containerd by design. Whatever still runs below them is
  // killed first and reaped by its shim (a zombie would keep its cgroup busy);
  // then the shims.
  ShimProcesses left = FindShims(socket_);
  for (pid_t pid : left.containers) kill(pid, SIGKILL);
  for (pid_t pid : left.containers) WaitGone(pid, std::chrono::seconds(5), false, Gone::kReaped);
  for (pid_t pid : left.shims) kill(pid, SIGKILL);
  for (pid_t pid : left.shims) WaitGone(pid, std::chrono::seconds(5), false, Gone::kExited);
  RemoveEmptyCgroups(cgroups);

  for (const std::string& point : MountsUnder(options_.dir.string())) {
    if (umount2(point.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      note(Status::IOError("umount " + point + ": " + std::strerror(errno)));
    }
  }
  std::error_code ec;
  if (fs::path(socket_).parent_path() != options_.dir) fs::remove_all(fs::path(socket_).parent_path(), ec);
  return first;
}

PrivateContainerd::~PrivateContainerd() { Stop(); }

std::string PrivateContainerd::Endpoint() const { return "unix://" + socket_; }
std::string PrivateContainerd::SocketPath() const { return socket_; }

Status ImportLocalImages(const std::string& endpoint) {
  auto layer = BuildBusyboxLayer();
  if (!layer.ok()) return layer.status();
  std::string socket = endpoint.rfind("unix://", 0) == 0 ? endpoint.substr(7) : endpoint;
  for (const ImageSpec& spec : {BusyboxImageSpec(), PauseImageSpec()}) {
    auto archive = BuildImageArchive(spec, *layer);
    if (!archive.ok()) return archive.status();
    // Beside the socket: a private, short, writable place.
    fs::path tar = fs::path(socket).parent_path() / ("import-" + Sha256Hex(spec.ref).substr(0, 8) + ".tar");
    // Right after a start containerd has been seen to answer an import with
    // "content digest … not found" once; a second try succeeds. Up to 4 tries.
    Status s;
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
      s = ImportImageArchive(socket, *archive, spec.ref, tar);
      if (s.ok()) break;
    }
    if (!s.ok()) return Status::Unavailable("importing " + spec.ref + " (4 tries): " + s.message());
  }
  return Status::Ok();
}

}  // namespace gorch::agent
