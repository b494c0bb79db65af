# Drives Debian's ruby-acme-client (the acme-client gem) through every
# account, order and certificate operation it offers, against the ACME
# server at DIRECTORY, answering http-01 by writing into WEBROOT.
#
#   ruby acme_client.rb DIRECTORY WEBROOT OUTDIR NAME...
#
# It prints one "ok: ..." line per step and exits non-zero on the first
# failure. OUTDIR receives cert.pem (the chain, leaf first).
require 'acme-client'
require 'openssl'

directory, webroot, outdir, *names = ARGV
abort 'usage: acme_client.rb DIRECTORY WEBROOT OUTDIR NAME...' if names.empty?

def step(what)
  result = yield
  puts "ok: #{what}"
  result
end

def wait_for(what)
  50.times do
    status = yield
    return status unless %w[pending processing].include?(status)
    sleep 0.2
  end
  abort "#{what} still pending after 10s"
end

# expect_error wants the block to raise exactly klass, not a subclass.
def expect_error(what, klass)
  yield
  abort "#{what}: got success, want #{klass}"
rescue Acme::Client::Error => e
  abort "#{what}: got #{e.class}: #{e.message}, want #{klass}" unless e.instance_of?(klass)
  puts "ok: #{what} refused: #{e.class}: #{e.message}"
end

def issue(client, webroot, names)
  order = client.new_order(identifiers: names)
  order.authorizations.each do |authz|
    next if authz.status == 'valid'
    http = authz.http
    path = File.join(webroot, http.token)
    File.write(path, http.file_content)
    http.request_validation
    status = wait_for("challenge for #{authz.identifier['value']}") { http.reload; http.status }
    File.delete(path)
    abort "challenge for #{authz.identifier['value']}: #{status} #{http.error}" unless status == 'valid'
  end
  status = wait_for('order') { order.reload; order.status }
  abort "order is #{status}, want ready" unless status == 'ready'
  key = OpenSSL::PKey::EC.generate('prime256v1')
  csr = Acme::Client::CertificateRequest.new(private_key: key, subject: { common_name: names[0] }, names: names)
  order.finalize(csr: csr)
  status = wait_for('finalized order') { order.reload; order.status }
  abort "order is #{status}, want valid" unless status == 'valid'
  order.certificate
end

account_key = OpenSSL::PKey::EC.generate('prime256v1')
client = Acme::Client.new(private_key: account_key, directory: directory)
account = step('new account') do
  client.new_account(contact: 'mailto:a@example.org', terms_of_service_agreed: true)
end
kid = account.kid

step('update contact') do
  updated = client.account_update(contact: 'mailto:b@example.org')
  abort "contact is #{updated.contact}, want mailto:b@example.org" unless updated.contact == ['mailto:b@example.org']
end

pem = step("issue for #{names.join(' ')}") { issue(client, webroot, names) }
File.write(File.join(outdir, 'cert.pem'), pem)

step('deactivate an authorization') do
  order = client.new_order(identifiers: ["deactivate-#{names[0]}"])
  authz = order.authorizations.first
  authz.deactivate
  abort "authorization is #{authz.status}, want deactivated" unless authz.status == 'deactivated'
end

new_key = OpenSSL::PKey::EC.generate('prime256v1')
step('account key change') { client.account_key_change(new_private_key: new_key) }
step('the new key finds the account') do
  found = Acme::Client.new(private_key: new_key, directory: directory).account
  abort "the new key finds #{found.kid}, want #{kid}" unless found.kid == kid
end
expect_error('the old key', Acme::Client::Error::Malformed) do
  Acme::Client.new(private_key: account_key, directory: directory, kid: kid).account
end

step('revoke') { abort 'revoke answered false' unless client.revoke(certificate: pem) }
# The gem has no class for alreadyRevoked: it raises the base class, which
# no problem type it knows (malformed, unauthorized, ...) would.
expect_error('second revoke', Acme::Client::Error) { client.revoke(certificate: pem) }

step('deactivate the account') do
  gone = client.account_deactivate
  abort "account is #{gone.status}, want deactivated" unless gone.status == 'deactivated'
end
expect_error('new order after deactivation', Acme::Client::Error::Unauthorized) do
  client.new_order(identifiers: names)
end
