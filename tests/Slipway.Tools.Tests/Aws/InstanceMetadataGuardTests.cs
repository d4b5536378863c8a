using Slipway.Tools.Aws;

namespace Slipway.Tools.Tests.Aws;

public sealed class InstanceMetadataGuardTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("slipway-sys-");

    private void Write(string path, string text)
    {
        var full = Path.Combine(root.FullName, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text + "\n");
    }

    [Fact]
    public void A_machine_without_dmi_or_hypervisor_files_is_not_ec2() =>
        Assert.False(InstanceMetadataGuard.LooksLikeEc2(root.FullName));

    [Fact]
    public void Another_vendor_is_not_ec2()
    {
        Write("sys/devices/virtual/dmi/id/sys_vendor", "QEMU");
        Write("sys/devices/virtual/dmi/id/board_asset_tag", "");
        Write("sys/devices/virtual/dmi/id/product_uuid", "4c4c4544-0042-3510-8052-b4c04f4d4d32");

        Assert.False(InstanceMetadataGuard.LooksLikeEc2(root.FullName));
    }

    [Theory]
    [InlineData("sys/devices/virtual/dmi/id/sys_vendor", "Amazon EC2")] // Nitro instances
    [InlineData("sys/devices/virtual/dmi/id/board_asset_tag", "i-0123456789abcdef0")] // Nitro: the instance ID
    [InlineData("sys/devices/virtual/dmi/id/product_uuid", "EC2E1916-9099-7CAF-FD21-012345ABCDEF")]
    [InlineData("sys/hypervisor/uuid", "ec2e1916-9099-7caf-fd21-012345abcdef")] // Xen instances
    public void A_sign_of_ec2_is_recognised(string path, string text)
    {
        Write(path, text);

        Assert.True(InstanceMetadataGuard.LooksLikeEc2(root.FullName));
    }

    public void Dispose() => root.Delete(recursive: true);
}
