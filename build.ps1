# Bootstrap for Windows and PowerShell users: same contract as build.sh.
#Requires -Version 5.1
[CmdletBinding()]
param([Parameter(Position = 0, ValueFromRemainingArguments = $true)][string[]]$BuildArguments)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$temp = Join-Path $root '.nuke/temp'
$bin = Join-Path $temp 'build-bin'
$stamp = Join-Path $temp 'build-inputs.sha'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

$required = (Get-Content (Join-Path $root 'global.json') | ConvertFrom-Json).sdk.version
$parts = $required.Split('.')

function Test-Sdk([string]$dotnet) {
    if (-not (Get-Command $dotnet -ErrorAction SilentlyContinue)) { return $false }
    foreach ($line in & $dotnet --list-sdks) {
        $v = $line.Split(' ')[0].Split('.')
        if ($v[0] -eq $parts[0] -and $v[1] -eq $parts[1] -and [int]($v[2] -replace '\D.*$', '') -ge [int]$parts[2]) { return $true }
    }
    return $false
}

$local = Join-Path $temp 'dotnet/dotnet'
if (Test-Sdk 'dotnet') { $dotnet = 'dotnet' }
elseif (Test-Sdk $local) { $dotnet = $local }
else {
    Write-Host "installing .NET SDK $required (global.json) into .nuke/temp/dotnet"
    New-Item -ItemType Directory -Force -Path $temp | Out-Null
    $installer = Join-Path $temp 'dotnet-install.ps1'
    Invoke-WebRequest 'https://dot.net/v1/dotnet-install.ps1' -OutFile $installer
    & $installer -JSonFile (Join-Path $root 'global.json') -InstallDir (Join-Path $temp 'dotnet') -NoPath
    $dotnet = $local
}

$files = @('build', 'src/Slipway.Engine', 'src/Slipway.Tools', 'src/Slipway.Delivery') |
    ForEach-Object { Get-ChildItem (Join-Path $root $_) -Recurse -File -Include *.cs, *.csproj } |
    Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' } | Sort-Object FullName
$files += @('global.json', 'Directory.Build.props', 'Directory.Packages.props') | ForEach-Object { Get-Item (Join-Path $root $_) }
$hash = ($files | Get-FileHash -Algorithm SHA1 | ForEach-Object Hash) -join '' |
    ForEach-Object { [BitConverter]::ToString([Security.Cryptography.SHA1]::Create().ComputeHash([Text.Encoding]::UTF8.GetBytes($_))) -replace '-', '' }

if (-not (Test-Path (Join-Path $bin '_build.dll')) -or -not (Test-Path $stamp) -or (Get-Content $stamp) -ne $hash) {
    & $dotnet build (Join-Path $root 'build/_build.csproj') -c Debug -o $bin --nologo -v q -clp:NoSummary
    if ($LASTEXITCODE -ne 0) { Write-Error 'the build project does not compile'; exit 2 }
    Set-Content -Path $stamp -Value $hash
}

Set-Location $root
& $dotnet (Join-Path $bin '_build.dll') @BuildArguments
exit $LASTEXITCODE
