# 50 interfaces using clean-traffic beside the odd ones (vnet50..vnet53)
i=0
while [ $i -lt 50 ]; do
    cat > bindings/vnet$i.xml <<EOB
<filterbindingstatus><filterbinding>
<owner><name>vm$i</name><uuid>6f726163-6c65-4000-8000-0000000001$(printf %02d $i)</uuid></owner>
<portdev name='vnet$i'/><mac address='52:54:00:00:01:$(printf %02x $i)'/>
<filterref filter='clean-traffic'><parameter name='IP' value='10.0.1.$((i + 10))'/></filterref>
</filterbinding></filterbindingstatus>
EOB
    i=$((i + 1))
done
