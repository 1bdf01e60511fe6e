// The CRI runtime against a real private containerd: a pod runs and logs, is
// cleaned up; crash loops back off; probes restart and gate readiness; missing
// images fail clearly; ConfigMaps/Secrets reach containers; PVC data survives.
#include <sys/stat.h>

#include "cri_harness.h"

namespace gorch::agent::testing {
namespace {

TEST_F(CriTest, PodRunsLogsAndLeavesNothingBehind) {
  PodSpec pod = Pod("hello", {Busybox("main", "echo hello from gorch; echo to stderr >&2; exec sleep 3600")});
  pod.volumes.push_back({"scratch", Volume::Kind::kEmptyDir});
  pod.containers[0].volume_mounts.push_back({"scratch", "/scratch"});
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  PodState s = WaitState(pod.uid, Running);
  ASSERT_EQ(s.containers.size(), 1u);
  EXPECT_EQ(s.containers[0].restart_count, 0);
  EXPECT_NE(s.containers[0].container_id, "");
  EXPECT_EQ(s.pod_ip, "127.0.0.1");  // host network
  EXPECT_GT(s.started_at_ms, 0);
  auto path = Runtime().LogPath("test", "hello", "", false);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return ReadFile(*path).find("to stderr") != std::string::npos; }));
  std::string log = ReadFile(*path);
  EXPECT_NE(log.find(" stdout F hello from gorch"), std::string::npos) << log;
  EXPECT_NE(log.find(" stderr F to stderr"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(root_ / "pods" / "uid-hello" / "volumes" / "scratch"));
  // Usage comes from ContainerStats.
  s = WaitState(pod.uid, [](const PodState& st) { return st.memory_working_set_bytes > 0; });
  EXPECT_GE(s.cpu_nano_cores, 0);

  ASSERT_TRUE(Runtime().StopPod(pod.uid, 1s).ok());
  EXPECT_TRUE(Runtime().PodStatus(pod.uid).status().IsNotFound());
  EXPECT_EQ(SandboxCount(), 0u);
  EXPECT_EQ(ContainerCount(), 0u);
  EXPECT_FALSE(fs::exists(root_ / "pods" / "uid-hello"));
  EXPECT_FALSE(fs::exists(path->parent_path()));
  EXPECT_TRUE(Runtime().ListPods()->empty());
}

TEST_F(CriTest, CrashingContainerRestartsWithGrowingBackoff) {
  PodSpec pod = Pod("crash", {Busybox("main", "echo run; exit 3")});
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  // The waiting message names the current delay: 200ms, then 400ms, 800ms.
  std::set<std::string> messages;
  PodState s = WaitState(pod.uid, [&](const PodState& st) {
    if (!st.containers.empty() && st.containers[0].reason == "CrashLoopBackOff")
      messages.insert(st.containers[0].message.substr(0, st.containers[0].message.find(' ', 9)));
    return !st.containers.empty() && st.containers[0].restart_count >= 4;
  });
  EXPECT_TRUE(messages.count("back-off 200ms")) << ::testing::PrintToString(messages);
  EXPECT_TRUE(messages.count("back-off 400ms")) << ::testing::PrintToString(messages);
  EXPECT_TRUE(messages.count("back-off 800ms")) << ::testing::PrintToString(messages);
  EXPECT_EQ(s.phase, PodPhase::kRunning);  // restarting, as the kubelet reports it
  EXPECT_TRUE(s.containers[0].has_last);
  EXPECT_EQ(s.containers[0].last_exit_code, 3);
  EXPECT_EQ(s.containers[0].last_reason, "Error");
  // The previous run's log is kept.
  auto prev = Runtime().LogPath("test", "crash", "main", true);
  ASSERT_TRUE(prev.ok()) << prev.status().ToString();
  EXPECT_NE(ReadFile(*prev).find("stdout F run"), std::string::npos);
}

TEST_F(CriTest, RestartPolicyNeverAndOnFailure) {
  PodSpec never = Pod("never", {Busybox("main", "exit 2")});
  never.restart_policy = "Never";
  PodSpec ok = Pod("onfailure", {Busybox("main", "exit 0")});
  ok.restart_policy = "OnFailure";
  ASSERT_TRUE(Runtime().RunPod(never).ok());
  ASSERT_TRUE(Runtime().RunPod(ok).ok());
  PodState s = WaitState(never.uid, [](const PodState& st) { return st.phase == PodPhase::kFailed; });
  EXPECT_EQ(s.containers[0].state, ContainerState::kExited);
  EXPECT_EQ(s.containers[0].exit_code, 2);
  EXPECT_EQ(s.containers[0].restart_count, 0);
  s = WaitState(ok.uid, [](const PodState& st) { return st.phase == PodPhase::kSucceeded; });
  EXPECT_EQ(s.containers[0].reason, "Completed");
}

TEST_F(CriTest, InitContainersRunFirstInOrder) {
  PodSpec pod = Pod("init", {Busybox("main", "cat /shared/steps; exec sleep 3600")});
  pod.init_containers = {Busybox("one", "echo one >> /shared/steps"), Busybox("two", "echo two >> /shared/steps")};
  pod.volumes.push_back({"shared", Volume::Kind::kEmptyDir});
  for (auto* c : {&pod.containers[0], &pod.init_containers[0], &pod.init_containers[1]})
    c->volume_mounts.push_back({"shared", "/shared"});
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  WaitState(pod.uid, Running);
  auto path = Runtime().LogPath("test", "init", "main", false);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(WaitFor([&] { return ReadFile(*path).find("two") != std::string::npos; }));
  EXPECT_LT(ReadFile(*path).find("stdout F one"), ReadFile(*path).find("stdout F two")) << ReadFile(*path);

  // A failing init container with restartPolicy Never fails the pod; main never runs.
  PodSpec bad = Pod("badinit", {Busybox("main", "exec sleep 3600")});
  bad.init_containers = {Busybox("setup", "exit 4")};
  bad.restart_policy = "Never";
  ASSERT_TRUE(Runtime().RunPod(bad).ok());
  PodState s = WaitState(bad.uid, [](const PodState& st) { return st.phase == PodPhase::kFailed; });
  EXPECT_EQ(s.containers[0].state, ContainerState::kWaiting);
  EXPECT_EQ(s.containers[0].container_id, "");
}

TEST_F(CriTest, FailingLivenessProbeRestartsTheContainer) {
  ContainerSpec c = Busybox("main", "touch /tmp/healthy; sleep 1; rm /tmp/healthy; exec sleep 3600");
  Probe probe;
  probe.kind = Probe::Kind::kExec;
  probe.command = {"cat", "/tmp/healthy"};
  probe.period_seconds = 1;
  probe.failure_threshold = 1;
  c.liveness = probe;
  PodSpec pod = Pod("liveness", {c});
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  PodState s = WaitState(pod.uid, [](const PodState& st) {
    return !st.containers.empty() && st.containers[0].restart_count >= 1 &&
           st.containers[0].state == ContainerState::kRunning;
  });
  EXPECT_TRUE(s.containers[0].has_last);
}

TEST_F(CriTest, ReadinessProbeGatesReady) {
  ContainerSpec c = Busybox("main", "sleep 1; echo ok > /tmp/ready; exec httpd -f -p 127.0.0.1:18089 -h /tmp");
  Probe probe;
  probe.kind = Probe::Kind::kHttpGet;
  probe.port = 18089;
  probe.path = "/ready";
  probe.period_seconds = 1;
  c.readiness = probe;
  PodSpec pod = Pod("readiness", {c});
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  PodState s = WaitState(pod.uid, [](const PodState& st) { return st.phase == PodPhase::kRunning; });
  EXPECT_FALSE(s.Ready());  // the probe has not passed yet (first run is at once, the file comes after 1 s)
  s = WaitState(pod.uid, Running);
  EXPECT_TRUE(s.containers[0].ready);
}

TEST_F(CriTest, MissingImageIsErrImagePullThenBackOff) {
  PodSpec pod = Pod("noimage", {Busybox("main", "true")});
  pod.containers[0].image = "localhost/does-not-exist:1";
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  PodState s = WaitState(pod.uid, [](const PodState& st) {
    return !st.containers.empty() && st.containers[0].reason == "ErrImagePull";
  });
  EXPECT_EQ(s.phase, PodPhase::kPending);
  EXPECT_NE(s.containers[0].message.find("localhost/does-not-exist:1"), std::string::npos) << s.containers[0].message;
  WaitState(pod.uid, [](const PodState& st) { return st.containers[0].reason == "ImagePullBackOff"; });
  ASSERT_TRUE(Runtime().StopPod(pod.uid, 1s).ok());
  EXPECT_EQ(SandboxCount(), 0u);
}

TEST_F(CriTest, ConfigMapAndSecretReachTheContainer) {
  objects_["ConfigMap/test/settings"] =
      R"({"object":{"kind":"ConfigMap","metadata":{"name":"settings"},"data":{"greeting":"hi there","mode":"fast"}}})";
  // "s3cret" in base64.
  objects_["Secret/test/creds"] = R"({"object":{"kind":"Secret","metadata":{"name":"creds"},"data":{"password":"czNjcmV0"}}})";
  ContainerSpec c = Busybox("main",
                            "echo GREETING=$GREETING; echo PASSWORD=$PASSWORD; echo MODE=$mode; "
                            "echo FILE=$(cat /etc/settings/greeting); echo SECRET=$(cat /etc/creds/password); "
                            "exec sleep 3600");
  c.env_refs.push_back({"GREETING", {"ConfigMap", "settings", "greeting"}});
  c.env_refs.push_back({"PASSWORD", {"Secret", "creds", "password"}});
  c.env_from.push_back({"ConfigMap", "settings", ""});
  c.volume_mounts.push_back({"settings", "/etc/settings"});
  c.volume_mounts.push_back({"creds", "/etc/creds"});
  PodSpec pod = Pod("config", {c});
  pod.volumes.push_back({"settings", Volume::Kind::kConfigMap, "settings"});
  pod.volumes.push_back({"creds", Volume::Kind::kSecret, "creds"});
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  WaitState(pod.uid, Running);
  auto path = Runtime().LogPath("test", "config", "main", false);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(WaitFor([&] { return ReadFile(*path).find("SECRET=") != std::string::npos; }));
  std::string log = ReadFile(*path);
  EXPECT_NE(log.find("GREETING=hi there"), std::string::npos) << log;
  EXPECT_NE(log.find("PASSWORD=s3cret"), std::string::npos) << log;
  EXPECT_NE(log.find("MODE=fast"), std::string::npos) << log;
  EXPECT_NE(log.find("FILE=hi there"), std::string::npos) << log;
  EXPECT_NE(log.find("SECRET=s3cret"), std::string::npos) << log;
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "pods" / "uid-config" / "volumes" / "creds" / "password").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);

  // A missing key is a clear container error, not a start.
  ContainerSpec bad = Busybox("main", "exec sleep 3600");
  bad.env_refs.push_back({"X", {"ConfigMap", "settings", "nope"}});
  PodSpec bad_pod = Pod("badconfig", {bad});
  ASSERT_TRUE(Runtime().RunPod(bad_pod).ok());
  PodState s = WaitState(bad_pod.uid, [](const PodState& st) {
    return !st.containers.empty() && st.containers[0].reason == "CreateContainerConfigError";
  });
  EXPECT_NE(s.containers[0].message.find("\"nope\""), std::string::npos) << s.containers[0].message;
}

TEST_F(CriTest, PersistentVolumeClaimDataSurvivesThePod) {
  auto make = [](const std::string& uid) {
    ContainerSpec c = Busybox("main", "echo run >> /data/runs; echo RUNS=$(wc -l < /data/runs); exec sleep 3600");
    c.volume_mounts.push_back({"data", "/data"});
    PodSpec pod = Pod("db-0", {c}, uid);
    Volume v;
    v.name = "data";
    v.kind = Volume::Kind::kPersistentVolumeClaim;
    v.source = "data-db-0";
    pod.volumes.push_back(v);
    return pod;
  };
  ASSERT_TRUE(Runtime().RunPod(make("first")).ok());
  WaitState("first", Running);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(root_ / "pvc" / "test" / "data-db-0" / "runs"); }));
  ASSERT_TRUE(Runtime().StopPod("first", 1s).ok());
  ASSERT_TRUE(Runtime().RunPod(make("second")).ok());
  WaitState("second", Running);
  auto path = Runtime().LogPath("test", "db-0", "main", false);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(WaitFor([&] { return ReadFile(*path).find("RUNS=") != std::string::npos; }));
  EXPECT_NE(ReadFile(*path).find("RUNS=2"), std::string::npos) << ReadFile(*path);
}

TEST_F(CriTest, NewRuntimeAdoptsRunningPodsAndRemovesOthers) {
  PodSpec keep = Pod("keep", {Busybox("main", "exec sleep 3600")});
  PodSpec drop = Pod("drop", {Busybox("main", "exec sleep 3600")});
  ASSERT_TRUE(Runtime().RunPod(keep).ok());
  ASSERT_TRUE(Runtime().RunPod(drop).ok());
  std::string id = WaitState(keep.uid, Running).containers[0].container_id;
  WaitState(drop.uid, Running);
  runtime_.reset();  // the agent goes away; its pods keep running
  EXPECT_EQ(SandboxCount(), 2u);

  auto uids = Runtime().ListPods();
  ASSERT_TRUE(uids.ok());
  EXPECT_EQ(uids->size(), 2u);
  ASSERT_TRUE(Runtime().RunPod(keep).ok());
  PodState s = WaitState(keep.uid, Running);
  EXPECT_EQ(s.containers[0].container_id, id);
  EXPECT_EQ(s.containers[0].restart_count, 0);
  ASSERT_TRUE(Runtime().StopPod(drop.uid, 1s).ok());
  EXPECT_EQ(SandboxCount(), 1u);
  EXPECT_EQ(Runtime().ListPods()->size(), 1u);
}

TEST_F(CriTest, ContainerdRestartIsReconciled) {
  PodSpec pod = Pod("survivor", {Busybox("main", "exec sleep 3600")});
  ASSERT_TRUE(Runtime().RunPod(pod).ok());
  std::string id = WaitState(pod.uid, Running).containers[0].container_id;
  ASSERT_TRUE(containerd_->Restart().ok());
  // Still the same container, still running, and still supervised: a crash after
  // the restart is restarted.
  PodState s = WaitState(pod.uid, Running);
  EXPECT_EQ(s.containers[0].container_id, id);
  ::runtime::v1::StopContainerRequest stop;
  stop.set_container_id(id.substr(std::string("containerd://").size()));
  stop.set_timeout(0);
  // containerd's CRI has been seen to answer StopContainer with an error once,
  // right after its restart (while it loads its containers): retried a while.
  std::string error;
  ASSERT_TRUE(WaitFor([&] {
    auto r = Client().Runtime(&::runtime::v1::RuntimeService::Stub::StopContainer, stop);
    if (!r.ok()) error = r.status().ToString();
    return r.ok();
  }, 10s)) << error;
  s = WaitState(pod.uid, [](const PodState& st) { return Running(st) && st.containers[0].restart_count == 1; });
  EXPECT_NE(s.containers[0].container_id, id);
}

}  // namespace
}  // namespace gorch::agent::testing

namespace gorch::agent::testing {
namespace {

// --pod-network cni: a containerd of its own with a CNI bridge in the test-bench
// range (RUNTIME.md); the pod gets its own IP, read from PodSandboxStatus, and an
// httpGet probe reaches it there.
TEST_F(CriTest, PodNetworkGivesThePodItsOwnAddress) {
  if (access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "no CNI plugins in /usr/lib/cni";
  ContainerdOptions o;
  o.dir = root_ / "cni-ctrd";
  o.pod_subnet = "198.18.7.0/24";
  o.bridge = "gorchtest7";
  auto c = PrivateContainerd::Start(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(ImportImages((*c)->Endpoint()).ok());
  {
    CriOptions options = Options();
    options.endpoint = (*c)->Endpoint();
    options.pod_network = "cni";
    auto runtime = CriRuntime::Connect(options);
    ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
    ContainerSpec web = Busybox("web", "mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www");
    Probe probe;
    probe.kind = Probe::Kind::kHttpGet;
    probe.port = 8080;
    probe.path = "/index.html";
    probe.period_seconds = 1;
    web.readiness = probe;
    PodSpec pod = Pod("netpod", {web});
    ASSERT_TRUE((*runtime)->RunPod(pod).ok());
    PodState last;
    bool ready = WaitFor([&] {
      auto s = (*runtime)->PodStatus(pod.uid);
      if (s.ok()) last = *s;
      return s.ok() && s->Ready();
    });
    EXPECT_TRUE(ready) << PodPhaseName(last.phase) << " ip " << last.pod_ip;
    EXPECT_EQ(last.pod_ip.rfind("198.18.7.", 0), 0u) << last.pod_ip;
    ASSERT_TRUE((*runtime)->StopPod(pod.uid, 1s).ok());
  }
  EXPECT_TRUE((*c)->Stop().ok());
}

}  // namespace
}  // namespace gorch::agent::testing
