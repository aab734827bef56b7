#!/usr/bin/perl
# netsmpp_smsc.pl PORT FILE -- an SMSC made with Net::SMPP (Debian
# libnet-smpp-perl), independent of txgw's own SMPP code: it listens on
# 127.0.0.1:PORT, accepts one bind_transceiver/bind_receiver, then sends
# the deliver_sm described in FILE, one per line:
#   esm_class data_coding source_addr hex_short_message [tag=hexvalue ...]
# waits for each deliver_sm_resp, prints "resp N status S" per message,
# then unbinds.  Exits 0 when every response had status 0.
use strict;
use warnings;
use Net::SMPP;

my ($port, $file) = @ARGV;
my $deadline = time + 30;
$SIG{ALRM} = sub { die "netsmpp_smsc: timeout\n" };
alarm 40;

my $listen = Net::SMPP->new_listen('127.0.0.1', port => $port, smpp_version => 0x34)
	or die "netsmpp_smsc: cannot listen on $port: $!\n";
print "listening\n";
$| = 1;
my $smsc = $listen->accept or die "netsmpp_smsc: accept: $!\n";
${*$smsc}{$_} = ${*$listen}{$_} for keys %{*$listen};   # settings of the listener

my $bind = $smsc->read_pdu or die "netsmpp_smsc: no bind\n";
die sprintf("netsmpp_smsc: expected a bind, got 0x%08x\n", $bind->{cmd})
	unless $bind->{cmd} == 0x09 || $bind->{cmd} == 0x01;
if ($bind->{cmd} == 0x09) {
	$smsc->bind_transceiver_resp(seq => $bind->{seq}, system_id => 'netsmpp');
} else {
	$smsc->bind_receiver_resp(seq => $bind->{seq}, system_id => 'netsmpp');
}
print "bound by $bind->{system_id}\n";

my %tags = (sar_msg_ref_num => 1, sar_total_segments => 1, sar_segment_seqnum => 1,
	    message_payload => 1, destination_port => 1, source_port => 1);
open(my $in, '<', $file) or die "netsmpp_smsc: $file: $!\n";
my ($n, $bad) = (0, 0);
while (my $line = <$in>) {
	chomp $line;
	next if $line =~ /^\s*(#|$)/;
	my ($esm, $dc, $src, $hex, @opt) = split ' ', $line;
	my @tlv;
	for my $o (@opt) {
		my ($k, $v) = split /=/, $o, 2;
		die "netsmpp_smsc: unknown TLV $k\n" unless $tags{$k};
		push @tlv, $k => pack('H*', $v);
	}
	my $seq = $smsc->deliver_sm(source_addr_ton => 1, source_addr_npi => 1,
		source_addr => $src, dest_addr_ton => 0, dest_addr_npi => 1,
		destination_addr => '886900000001', esm_class => hex($esm),
		data_coding => hex($dc), short_message => pack('H*', $hex), @tlv,
		async => 1);
	# wait for the response, answering what the ESME asks meanwhile
	while (1) {
		die "netsmpp_smsc: timeout\n" if time > $deadline;
		my $pdu = $smsc->read_pdu or die "netsmpp_smsc: connection lost\n";
		if ($pdu->{cmd} == 0x15) {
			$smsc->enquire_link_resp(seq => $pdu->{seq});
			next;
		}
		next unless $pdu->{cmd} == 0x80000005 && $pdu->{seq} == $seq;
		$n++;
		$bad++ if $pdu->{status};
		printf "resp %d status %d\n", $n, $pdu->{status};
		last;
	}
}
$smsc->unbind(async => 1);
my $u = $smsc->read_pdu;
print "unbound\n" if $u && $u->{cmd} == 0x80000006;
exit($bad ? 1 : 0);
