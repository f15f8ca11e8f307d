<#
.SYNOPSIS
    Collects what `starttls-check exchange-config` cross-checks into one JSON file (schema starttls-check.exchange/1).
.DESCRIPTION
    READ-ONLY: runs only Get-* cmdlets, reads one registry value and the local root store, writes one file.
    It NEVER exports private keys: of a certificate only its public RawData (the DER every client receives).
    Windows PowerShell 5.1 compatible. Values are strings, booleans, a number (publicKeySize), string arrays
    or null: enums by name, dates in ISO 8601 UTC. On premises (default): run it in the Exchange Management
    Shell, on each server if you can (only the local root store is read; an Edge server answers only locally).
    Exchange Online: in a separate window run Connect-ExchangeOnline, then this script with -ExchangeOnline.

    The JSON shape is a contract with starttls-check's parser (docs/exchange-config.md lists the same keys).
    Every top-level key is always present (an empty array for the other side's objects):
      schema ("starttls-check.exchange/1"), side ("onprem" | "online"), collectedUtc,
      certificates:        server, thumbprint, subject, issuer, services, status, notBefore, notAfter,
                           certificateDomains, isSelfSigned, hasPrivateKey, rootCAType, publicKeySize,
                           friendlyName, derBase64
      receiveConnectors:   identity, name, server, transportRole, enabled, bindings, fqdn, tlsCertificateName,
                           authMechanism, permissionGroups, tlsDomainCapabilities, requireTls, remoteIPRanges
      sendConnectors:      identity, name, enabled, addressSpaces, smartHosts, dnsRoutingEnabled, fqdn,
                           tlsCertificateName, tlsAuthLevel, tlsDomain, requireTls, cloudServicesMailEnabled,
                           sourceTransportServers
      hybridConfiguration: (array) receivingTransportServers, sendingTransportServers, edgeTransportServers,
                           onPremisesSmartHost, domains, features, tlsCertificateName, serviceInstance
      inboundConnectors:   identity, name, enabled, connectorType, connectorSource, senderIPAddresses,
                           senderDomains, tlsSenderCertificateName, requireTls, restrictDomainsToCertificate,
                           restrictDomainsToIPAddresses, cloudServicesMailEnabled, treatMessagesAsInternal
      outboundConnectors:  identity, name, enabled, connectorType, connectorSource, useMXRecord, recipientDomains,
                           smartHosts, tlsDomain, tlsSettings, isTransportRuleScoped,
                           routeAllMessagesViaOnPremises, cloudServicesMailEnabled, isValidated
      acceptedDomains:     domainName, domainType
      transportServices:   name, internalTransportCertificateThumbprint
      rootStores:          server, disableRootAutoUpdate, hasDigiCertGlobalRootG2
.EXAMPLE
    .\Get-StartTlsConfig.ps1                       # on premises -> .\starttls-onprem.json
.EXAMPLE
    Connect-ExchangeOnline; .\Get-StartTlsConfig.ps1 -ExchangeOnline   # -> .\starttls-online.json
#>
[CmdletBinding()]
param(
    [switch]$ExchangeOnline,
    [string]$Path
)
Set-StrictMode -Off
$ErrorActionPreference = 'Stop'
if (-not $Path) { $Path = if ($ExchangeOnline) { 'starttls-online.json' } else { 'starttls-onprem.json' } }
# Windows PowerShell 5.1 can write arrays as {"value":[...],"Count":n}; this type data (of this session) is the cause.
Remove-TypeData System.Array -ErrorAction SilentlyContinue

# "$v" gives the text Format-List shows (enum names, <I>issuer<S>subject, SRV\Connector), local or remoted.
# Helper names that no built-in alias shadows (aliases win over functions: r is Invoke-History).
function Str($v) { if ($null -ne $v) { "$v" } else { $null } }
function Arr($v) { , @(@($v) | Where-Object { $null -ne $_ } | ForEach-Object { "$_" }) }   # always a string array
function Bool($v) { if ($null -ne $v) { [bool]$v } else { $null } }
function Iso($v) { if ($null -ne $v) { ([datetime]$v).ToUniversalTime().ToString('o') } else { $null } }
function Der($v) { if ($null -ne $v) { [Convert]::ToBase64String([byte[]]$v) } else { $null } }  # public DER only
function Get-Safely([scriptblock]$Get, [string]$What) {
    try { @(& $Get) } catch { Write-Warning "$What skipped: $($_.Exception.Message)"; @() }
}

$o = [ordered]@{
    schema = 'starttls-check.exchange/1'; side = $(if ($ExchangeOnline) { 'online' } else { 'onprem' })
    collectedUtc = (Get-Date).ToUniversalTime().ToString('o')
    certificates = @(); receiveConnectors = @(); sendConnectors = @(); hybridConfiguration = @()
    inboundConnectors = @(); outboundConnectors = @(); acceptedDomains = @(); transportServices = @(); rootStores = @()
}

if ($ExchangeOnline) {
    if (-not (Get-Command Get-InboundConnector -ErrorAction SilentlyContinue)) {
        throw 'Get-InboundConnector is not available: run Connect-ExchangeOnline first (in a window without the Exchange Management Shell).'
    }
    $o['inboundConnectors'] = @(Get-Safely { Get-InboundConnector } 'Get-InboundConnector' | ForEach-Object { [ordered]@{
        identity = Str $_.Identity; name = Str $_.Name; enabled = Bool $_.Enabled; connectorType = Str $_.ConnectorType
        connectorSource = Str $_.ConnectorSource; senderIPAddresses = Arr $_.SenderIPAddresses; senderDomains = Arr $_.SenderDomains
        tlsSenderCertificateName = Str $_.TlsSenderCertificateName; requireTls = Bool $_.RequireTls
        restrictDomainsToCertificate = Bool $_.RestrictDomainsToCertificate; restrictDomainsToIPAddresses = Bool $_.RestrictDomainsToIPAddresses
        cloudServicesMailEnabled = Bool $_.CloudServicesMailEnabled; treatMessagesAsInternal = Bool $_.TreatMessagesAsInternal } })
    $o['outboundConnectors'] = @(Get-Safely { Get-OutboundConnector } 'Get-OutboundConnector' | ForEach-Object { [ordered]@{
        identity = Str $_.Identity; name = Str $_.Name; enabled = Bool $_.Enabled; connectorType = Str $_.ConnectorType
        connectorSource = Str $_.ConnectorSource; useMXRecord = Bool $_.UseMXRecord; recipientDomains = Arr $_.RecipientDomains
        smartHosts = Arr $_.SmartHosts; tlsDomain = Str $_.TlsDomain; tlsSettings = Str $_.TlsSettings
        isTransportRuleScoped = Bool $_.IsTransportRuleScoped; routeAllMessagesViaOnPremises = Bool $_.RouteAllMessagesViaOnPremises
        cloudServicesMailEnabled = Bool $_.CloudServicesMailEnabled; isValidated = Bool $_.IsValidated } })
} else {
    if (-not (Get-Command Get-ExchangeCertificate -ErrorAction SilentlyContinue)) {
        throw 'Get-ExchangeCertificate is not available: run this in the Exchange Management Shell.'
    }
    # Mailbox and Edge servers; Client Access (2013) and Hub Transport (2010) servers hold transport connectors too.
    $servers = @(Get-ExchangeServer | Where-Object {
        $_.IsMailboxServer -or $_.IsEdgeServer -or $_.IsClientAccessServer -or $_.IsHubTransportServer } | ForEach-Object { "$($_.Name)" })
    $o['certificates'] = @(foreach ($s in $servers) {
        Get-Safely { Get-ExchangeCertificate -Server $s } "Get-ExchangeCertificate -Server $s" | ForEach-Object { [ordered]@{
            server = $s; thumbprint = Str $_.Thumbprint; subject = Str $_.Subject; issuer = Str $_.Issuer
            services = Str $_.Services; status = Str $_.Status; notBefore = Iso $_.NotBefore; notAfter = Iso $_.NotAfter
            certificateDomains = Arr $_.CertificateDomains; isSelfSigned = Bool $_.IsSelfSigned; hasPrivateKey = Bool $_.HasPrivateKey
            rootCAType = Str $_.RootCAType; publicKeySize = $(if ($null -ne $_.PublicKeySize) { [int]$_.PublicKeySize } else { $null })
            friendlyName = Str $_.FriendlyName; derBase64 = Der $_.RawData } } })
    $o['receiveConnectors'] = @(foreach ($s in $servers) {
        Get-Safely { Get-ReceiveConnector -Server $s } "Get-ReceiveConnector -Server $s" | ForEach-Object { [ordered]@{
            identity = Str $_.Identity; name = Str $_.Name; server = Str $_.Server; transportRole = Str $_.TransportRole
            enabled = Bool $_.Enabled; bindings = Arr $_.Bindings; fqdn = Str $_.Fqdn; tlsCertificateName = Str $_.TlsCertificateName
            authMechanism = Str $_.AuthMechanism; permissionGroups = Str $_.PermissionGroups
            tlsDomainCapabilities = Arr $_.TlsDomainCapabilities; requireTls = Bool $_.RequireTLS; remoteIPRanges = Arr $_.RemoteIPRanges } } })
    $o['sendConnectors'] = @(Get-Safely { Get-SendConnector } 'Get-SendConnector' | ForEach-Object { [ordered]@{
        identity = Str $_.Identity; name = Str $_.Name; enabled = Bool $_.Enabled; addressSpaces = Arr $_.AddressSpaces
        smartHosts = Arr $_.SmartHosts; dnsRoutingEnabled = Bool $_.DNSRoutingEnabled; fqdn = Str $_.Fqdn
        tlsCertificateName = Str $_.TlsCertificateName; tlsAuthLevel = Str $_.TlsAuthLevel; tlsDomain = Str $_.TlsDomain
        requireTls = Bool $_.RequireTLS; cloudServicesMailEnabled = Bool $_.CloudServicesMailEnabled
        sourceTransportServers = Arr $_.SourceTransportServers } })
    $o['hybridConfiguration'] = @(Get-Safely { Get-HybridConfiguration } 'Get-HybridConfiguration' | ForEach-Object { [ordered]@{
        receivingTransportServers = Arr $_.ReceivingTransportServers; sendingTransportServers = Arr $_.SendingTransportServers
        edgeTransportServers = Arr $_.EdgeTransportServers; onPremisesSmartHost = Str $_.OnPremisesSmartHost
        domains = Arr $_.Domains; features = Arr $_.Features; tlsCertificateName = Str $_.TlsCertificateName
        serviceInstance = Str $_.ServiceInstance } })
    $o['transportServices'] = @(foreach ($s in $servers) {
        Get-Safely { Get-TransportService -Identity $s } "Get-TransportService $s" | ForEach-Object { [ordered]@{
            name = Str $_.Name; internalTransportCertificateThumbprint = Str $_.InternalTransportCertificateThumbprint } } })
    # Root store: read here, for this server only (no remoting); other servers get null, never a guess.
    $g2 = 'DF3C24F9BFD666761B268073FE06D1CC8D4F82A4'   # SHA-1 thumbprint of DigiCert Global Root G2
    $o['rootStores'] = @(foreach ($s in $servers) {
        if ($s -eq $env:COMPUTERNAME) {
            $key = Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot' -ErrorAction SilentlyContinue
            [ordered]@{ server = $s; disableRootAutoUpdate = ($null -ne $key -and $key.DisableRootAutoUpdate -eq 1)
                hasDigiCertGlobalRootG2 = (@(Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.Thumbprint -eq $g2 }).Count -gt 0) }
        } else {
            Write-Warning "Root store of $s not read (only the server this runs on is read): run the script on $s too."
            [ordered]@{ server = $s; disableRootAutoUpdate = $null; hasDigiCertGlobalRootG2 = $null }
        } })
}
$o['acceptedDomains'] = @(Get-Safely { Get-AcceptedDomain } 'Get-AcceptedDomain' | ForEach-Object { [ordered]@{
    domainName = Str $_.DomainName; domainType = Str $_.DomainType } })

# Explicit projection above, so a small depth suffices (deep -Depth on raw objects can hang 5.1).
$json = ConvertTo-Json -InputObject $o -Depth 6
$full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
[IO.File]::WriteAllText($full, $json, (New-Object System.Text.UTF8Encoding $false))   # UTF-8 without BOM
Write-Host "Wrote $full. It holds connector settings and public certificates only; read it before you share it."
