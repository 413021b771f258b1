$pkg = Get-AppxPackage -AllUsers -Name MSTeams -ErrorAction SilentlyContinue
if ($pkg -and [version]$pkg.Version -ge [version]'24295.605.3225.8804') { Write-Output 'Installed'; exit 0 }
exit 1
