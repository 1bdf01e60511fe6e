local lib = import '../lib/app.libsonnet';
lib.app('staging', replicas=1)
