local lib = import '../lib/app.libsonnet';
lib.app('prod', replicas=4, cpu='500m', memory='256Mi')
