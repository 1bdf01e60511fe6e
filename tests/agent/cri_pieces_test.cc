// The CRI runtime's pure pieces: pod spec fields from the stored pod, quantities,
// env and volumes from ConfigMaps/Secrets (a fake getter), CRI log framing, probes
// against a local socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gorch/agent/log_server.h"
#include "pod_convert.h"
#include "probes.h"
#include "volumes.h"

namespace gorch::agent {
namespace {

namespace fs = std::filesystem;

TEST(PodConvertCri, ContainerAndPodFields) {
  std::string value = R"({"object":{"metadata":{"name":"web-0","uid":"u1"},"spec":{
    "hostNetwork":true,"terminationGracePeriodSeconds":5,
    "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data-web-0"}},
               {"name":"cfg","configMap":{"name":"web","items":[{"key":"a","path":"x/a.txt"}]}},
               {"name":"tok","secret":{"secretName":"tok","defaultMode":256}},
               {"name":"tmp","emptyDir":{}},{"name":"host","hostPath":{"path":"/srv","type":"DirectoryOrCreate"}}],
    "containers":[{"name":"web","image":"busybox","workingDir":"/w",
      "ports":[{"name":"http","containerPort":8080}],
      "env":[{"name":"A","value":"1"},{"name":"B","valueFrom":{"secretKeyRef":{"name":"tok","key":"t","optional":true}}}],
      "envFrom":[{"prefix":"P_","configMapRef":{"name":"web"}}],
      "resources":{"limits":{"cpu":"500m","memory":"64Mi"},"requests":{"cpu":0.25}},
      "volumeMounts":[{"name":"data","mountPath":"/data","readOnly":true}],
      "livenessProbe":{"httpGet":{"path":"/healthz","port":"http"},"periodSeconds":2,"failureThreshold":4},
      "readinessProbe":{"tcpSocket":{"port":8080}},
      "startupProbe":{"exec":{"command":["true"]},"initialDelaySeconds":3}}]}}})";
  auto spec = PodSpecFromStore("ns", "web-0", 1, value, nullptr);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->host_network);
  EXPECT_EQ(spec->termination_grace_seconds, 5);
  ASSERT_EQ(spec->volumes.size(), 5u);
  EXPECT_EQ(spec->volumes[0].kind, Volume::Kind::kPersistentVolumeClaim);
  EXPECT_EQ(spec->volumes[0].source, "data-web-0");
  EXPECT_EQ(spec->volumes[1].items[0].second, "x/a.txt");
  EXPECT_EQ(spec->volumes[2].default_mode, 0400);
  EXPECT_EQ(spec->volumes[3].kind, Volume::Kind::kEmptyDir);
  EXPECT_EQ(spec->volumes[4].host_path_type, "DirectoryOrCreate");
  const ContainerSpec& c = spec->containers[0];
  EXPECT_EQ(c.working_dir, "/w");
  EXPECT_EQ(c.cpu_limit_millis, 500);
  EXPECT_EQ(c.cpu_request_millis, 250);
  EXPECT_EQ(c.memory_limit_bytes, 64 << 20);
  ASSERT_EQ(c.env_refs.size(), 1u);
  EXPECT_EQ(c.env_refs[0].source.kind, "Secret");
  EXPECT_TRUE(c.env_refs[0].source.optional);
  ASSERT_EQ(c.env_from.size(), 1u);
  EXPECT_EQ(c.env_from[0].prefix, "P_");
  EXPECT_TRUE(c.volume_mounts[0].read_only);
  ASSERT_TRUE(c.liveness && c.readiness && c.startup);
  EXPECT_EQ(c.liveness->kind, Probe::Kind::kHttpGet);
  EXPECT_EQ(c.liveness->port, 8080);  // the named port
  EXPECT_EQ(c.liveness->period_seconds, 2);
  EXPECT_EQ(c.liveness->failure_threshold, 4);
  EXPECT_EQ(c.readiness->kind, Probe::Kind::kTcpSocket);
  EXPECT_EQ(c.startup->command, std::vector<std::string>{"true"});
  EXPECT_EQ(c.startup->initial_delay_seconds, 3);
}

TEST(PodConvertCri, Quantities) {
  EXPECT_EQ(ParseCpuMillis("250m"), 250);
  EXPECT_EQ(ParseCpuMillis("2"), 2000);
  EXPECT_EQ(ParseCpuMillis("0.1"), 100);
  EXPECT_FALSE(ParseCpuMillis("lots"));
  EXPECT_EQ(ParseMemoryBytes("1Gi"), int64_t{1} << 30);
  EXPECT_EQ(ParseMemoryBytes("128M"), 128'000'000);
  EXPECT_EQ(ParseMemoryBytes("4096"), 4096);
  EXPECT_FALSE(ParseMemoryBytes("12Q"));
}

TEST(PodConvertCri, StatusCarriesWaitingMessageLastStateAndUsage) {
  PodState state;
  state.phase = PodPhase::kRunning;
  ContainerStatus c;
  c.name = "web";
  c.state = ContainerState::kWaiting;
  c.reason = "CrashLoopBackOff";
  c.message = "back-off 10s restarting failed container=web";
  c.restart_count = 2;
  c.has_last = true;
  c.last_exit_code = 3;
  c.last_reason = "Error";
  c.container_id = "containerd://abc";
  state.containers.push_back(c);
  state.cpu_nano_cores = 12'000'000;
  state.memory_working_set_bytes = 3 << 20;
  auto j = nlohmann::json::parse(PodStatusJson(state, ""));
  EXPECT_EQ(j["containerStatuses"][0]["state"]["waiting"]["message"], c.message);
  EXPECT_EQ(j["containerStatuses"][0]["lastState"]["terminated"]["exitCode"], 3);
  EXPECT_EQ(j["containerStatuses"][0]["containerID"], "containerd://abc");
  EXPECT_EQ(j["usage"]["cpu"], "12m");
  EXPECT_EQ(j["usage"]["memory"], "3072Ki");
}

TEST(Volumes, Base64AndPathSegments) {
  EXPECT_EQ(Base64Decode("czNjcmV0"), "s3cret");
  EXPECT_EQ(Base64Decode("YQ=="), "a");
  EXPECT_EQ(Base64Decode("YWI"), "ab");
  EXPECT_FALSE(Base64Decode("!!"));
  EXPECT_EQ(PathSegment("shop/web@12"), "shop_web_12");
  EXPECT_EQ(PathSegment(".."), "_..");
}

class FakeObjects {
 public:
  std::map<std::string, std::string> objects;
  ObjectGetter Getter() {
    return [this](const std::string& kind, const std::string& ns, const std::string& name) -> Result<std::string> {
      auto it = objects.find(kind + "/" + ns + "/" + name);
      if (it == objects.end()) return Status::NotFound(name);
      return it->second;
    };
  }
};

TEST(Volumes, EnvFromConfigMapsAndSecrets) {
  FakeObjects fake;
  fake.objects["ConfigMap/ns/cfg"] = R"({"object":{"data":{"A":"from-cm","B":"b"}}})";
  fake.objects["Secret/ns/sec"] = R"({"object":{"data":{"pw":"czNjcmV0"},"stringData":{"plain":"p"}}})";
  ContainerSpec c;
  c.env_from.push_back({"ConfigMap", "cfg", "CM_"});
  c.env = {{"A", "literal"}, {"CM_B", "overridden"}};
  c.env_refs.push_back({"PW", {"Secret", "sec", "pw"}});
  c.env_refs.push_back({"PLAIN", {"Secret", "sec", "plain"}});
  c.env_refs.push_back({"MAYBE", {"ConfigMap", "missing", "x", true}});
  auto env = ResolveEnv(c, "ns", fake.Getter());
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  std::map<std::string, std::string> m(env->begin(), env->end());
  EXPECT_EQ(m["CM_A"], "from-cm");
  EXPECT_EQ(m["CM_B"], "overridden");
  EXPECT_EQ(m["A"], "literal");
  EXPECT_EQ(m["PW"], "s3cret");
  EXPECT_EQ(m["PLAIN"], "p");
  EXPECT_FALSE(m.count("MAYBE"));
  c.env_refs.push_back({"GONE", {"ConfigMap", "cfg", "nokey"}});
  auto bad = ResolveEnv(c, "ns", fake.Getter());
  ASSERT_TRUE(bad.status().IsFailedPrecondition());
  EXPECT_NE(bad.status().message().find("key \"nokey\" not found in configmap \"cfg\""), std::string::npos)
      << bad.status().message();
}

TEST(Volumes, PrepareProjectsFilesWithModes) {
  fs::path dir = fs::temp_directory_path() / ("gorch-vol-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  FakeObjects fake;
  fake.objects["ConfigMap/ns/cfg"] = R"({"object":{"data":{"a":"1","b":"2"}}})";
  fake.objects["Secret/ns/sec"] = R"({"object":{"data":{"pw":"czNjcmV0"}}})";
  PodSpec pod;
  pod.namespace_ = "ns";
  Volume cfg{"cfg", Volume::Kind::kConfigMap, "cfg"};
  cfg.items = {{"a", "sub/a.txt"}};
  pod.volumes = {cfg, {"sec", Volume::Kind::kSecret, "sec"}, {"claim", Volume::Kind::kPersistentVolumeClaim, "data-0"},
                 {"scratch", Volume::Kind::kEmptyDir}};
  auto paths = PrepareVolumes(pod, dir / "pod", dir / "pvc", fake.Getter());
  ASSERT_TRUE(paths.ok()) << paths.status().ToString();
  std::ifstream a(dir / "pod" / "volumes" / "cfg" / "sub" / "a.txt");
  std::string text;
  a >> text;
  EXPECT_EQ(text, "1");
  EXPECT_FALSE(fs::exists(dir / "pod" / "volumes" / "cfg" / "b"));  // only the listed item
  struct stat st {};
  ASSERT_EQ(::stat((dir / "pod" / "volumes" / "sec" / "pw").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  EXPECT_EQ((*paths)["claim"], dir / "pvc" / "ns" / "data-0");
  EXPECT_TRUE(fs::is_directory(dir / "pod" / "volumes" / "scratch"));
  pod.volumes.push_back({"gone", Volume::Kind::kSecret, "gone"});
  EXPECT_TRUE(PrepareVolumes(pod, dir / "pod", dir / "pvc", fake.Getter()).status().IsFailedPrecondition());
  fs::remove_all(dir);
}

TEST(LogText, StripsCriFraming) {
  EXPECT_EQ(CriLogText("2024-05-01T12:00:00.000000001Z stdout F hello\n"
                       "2024-05-01T12:00:00.1Z stderr P part\n"
                       "2024-05-01T12:00:00.2Z stderr F ial\n"
                       "2024-05-01T12:00:00.3Z stdout F \n"),
            "hello\npartial\n\n");
  EXPECT_EQ(CriLogText("not framed\n"), "not framed\n");
}

// A one-shot HTTP server on a free loopback port answering `status`.
class OneShotHttp {
 public:
  explicit OneShotHttp(int status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this, status] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[1024];
      (void)::recv(c, buf, sizeof buf, 0);
      std::string resp = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n";
      (void)::send(c, resp.data(), resp.size(), 0);
      ::close(c);
    });
  }
  ~OneShotHttp() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(Probes, HttpAndTcp) {
  {
    OneShotHttp ok(200);
    EXPECT_TRUE(HttpProbe("127.0.0.1", ok.port(), "/healthz", std::chrono::seconds(2)).success);
  }
  {
    OneShotHttp bad(503);
    ProbeOutcome o = HttpProbe("127.0.0.1", bad.port(), "/", std::chrono::seconds(2));
    EXPECT_FALSE(o.success);
    EXPECT_NE(o.message.find("503"), std::string::npos) << o.message;
  }
  OneShotHttp listening(200);
  EXPECT_TRUE(TcpProbe("127.0.0.1", listening.port(), std::chrono::seconds(1)).success);
  int closed_port = listening.port();
  {
    // A port nobody listens on (a fresh socket's, closed again).
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    closed_port = ntohs(addr.sin_port);
    ::close(fd);
  }
  EXPECT_FALSE(TcpProbe("127.0.0.1", closed_port, std::chrono::seconds(1)).success);
  EXPECT_FALSE(TcpProbe("not-an-ip", 80, std::chrono::seconds(1)).success);
}

}  // namespace
}  // namespace gorch::agent
