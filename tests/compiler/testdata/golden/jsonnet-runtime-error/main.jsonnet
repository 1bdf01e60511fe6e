local replicas(n) = if n < 0 then error 'replicas must be >= 0, got ' + n else n;
{
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cfg' },
  data: { n: std.toString(replicas(-1)) },
}
