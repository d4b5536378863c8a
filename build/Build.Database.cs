using Slipway.Engine;

partial class Build
{
    Target Migrate => _ => _
        .Description("Applies pending database migrations for the environment (or reverts to --migrate-to)")
        .Executes(() => NotImplemented(5));
}
