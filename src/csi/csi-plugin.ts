/** The CSI plugin name (GetPluginInfo, the CSIDriver object, the StorageClass provisioner). */
export const CSI_PLUGIN_NAME = 'piragua.gluster.org';
