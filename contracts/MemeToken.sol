// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "./ERC20.sol";

/// @title MemeToken
/// @notice A plain 18-decimal ERC-20 whose whole supply is minted to `owner` at construction.
contract MemeToken is ERC20 {
    constructor(string memory name_, string memory symbol_, uint256 totalSupply_, address owner)
        ERC20(name_, symbol_, 18)
    {
        _mint(owner, totalSupply_);
    }
}
