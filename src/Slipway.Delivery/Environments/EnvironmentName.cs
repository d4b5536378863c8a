namespace Slipway.Delivery.Environments;

/// <summary>The environments a release moves through; each is described by a file in <c>.nuke/environments/</c>.</summary>
public enum EnvironmentName
{
    Local,
    Staging,
    Prod,
}
