// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "./ERC20.sol";
import {IPairLookup} from "./Interfaces.sol";

/// @title TaxToken
/// @notice An 18-decimal ERC-20 (whole supply minted to `owner`) that taxes trades on its token/WCORE pair:
///         `buyTaxBps` of the tokens leaving the pair, `sellTaxBps` of the tokens going to it, paid to `owner`.
///         A taxed transfer emits two `Transfer` events: the net amount to the recipient, then the tax to the owner.
///         Transfers from or to the owner are not taxed (adding liquidity is not).
/// @dev The pair is looked up with `factory.getPair(this, wcore)` on every transfer: no setup transaction.
contract TaxToken is ERC20 {
    uint256 private constant BPS = 10_000;

    address public immutable owner;
    address public immutable factory;
    address public immutable wcore;
    uint16 public immutable buyTaxBps;
    uint16 public immutable sellTaxBps;

    constructor(
        string memory name_,
        string memory symbol_,
        uint256 totalSupply_,
        address owner_,
        address factory_,
        address wcore_,
        uint16 buyTaxBps_,
        uint16 sellTaxBps_
    ) ERC20(name_, symbol_, 18) {
        require(buyTaxBps_ <= BPS && sellTaxBps_ <= BPS, "TaxToken: TAX_ABOVE_100%");
        owner = owner_;
        factory = factory_;
        wcore = wcore_;
        buyTaxBps = buyTaxBps_;
        sellTaxBps = sellTaxBps_;
        _mint(owner_, totalSupply_);
    }

    /// @notice The token/WCORE pair, or the zero address before liquidity is first added.
    function pair() public view returns (address) {
        return IPairLookup(factory).getPair(address(this), wcore);
    }

    function _transfer(address from, address to, uint256 value) internal override {
        uint256 bps = _taxBps(from, to);
        uint256 tax = (value * bps) / BPS;
        if (tax == 0) {
            super._transfer(from, to, value);
            return;
        }
        require(balanceOf[from] >= value, "ERC20: insufficient balance");
        balanceOf[from] -= value;
        balanceOf[to] += value - tax;
        balanceOf[owner] += tax;
        emit Transfer(from, to, value - tax);
        emit Transfer(from, owner, tax);
    }

    /// @dev The buy tax when tokens leave the pair, the sell tax when they go to it, none for the owner.
    function _taxBps(address from, address to) private view returns (uint256) {
        if (from == owner || to == owner) return 0;
        address p = pair();
        if (p == address(0)) return 0;
        if (from == p) return buyTaxBps;
        if (to == p) return sellTaxBps;
        return 0;
    }
}
