namespace Slipway.Tools.Aws;

/// <summary>
/// Keeps the AWS SDK off the EC2 instance metadata endpoint (169.254.169.254) on machines that are not EC2
/// instances, where asking it only costs time before failing. It sets the SDK's own switch,
/// AWS_EC2_METADATA_DISABLED=true, unless that variable is already set (then it is respected) or the machine
/// shows a sign of EC2 in /sys (DMI vendor "Amazon EC2", an "i-..." board asset tag, or a UUID starting with ec2).
/// </summary>
public static class InstanceMetadataGuard
{
    public const string DisabledVariable = "AWS_EC2_METADATA_DISABLED";

    public static void DisableUnlessOnEc2()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DisabledVariable)) && !LooksLikeEc2("/"))
            Environment.SetEnvironmentVariable(DisabledVariable, "true");
    }

    /// <summary>Whether the machine whose file system starts at <paramref name="root"/> shows a sign of being an EC2 instance.</summary>
    public static bool LooksLikeEc2(string root)
    {
        string Read(string path) => File.Exists(Path.Combine(root, path)) ? Text(Path.Combine(root, path)) : "";
        return Read("sys/devices/virtual/dmi/id/sys_vendor").StartsWith("Amazon EC2", StringComparison.Ordinal)
            || Read("sys/devices/virtual/dmi/id/board_asset_tag").StartsWith("i-", StringComparison.Ordinal)
            || Read("sys/devices/virtual/dmi/id/product_uuid").StartsWith("ec2", StringComparison.OrdinalIgnoreCase)
            || Read("sys/hypervisor/uuid").StartsWith("ec2", StringComparison.OrdinalIgnoreCase);
    }

    // product_uuid is readable by root only; unreadable counts as no sign.
    private static string Text(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return "";
        }
    }
}
