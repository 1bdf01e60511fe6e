local cm = import '../lib/cm.libsonnet';
{
  feature: cm.configMap('prod-features', { beta: 'false' }),
  settings: [cm.configMap('prod-settings')],
}
